package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.heads.Pooling;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.text.DocSpan;
import java.util.List;
import org.apache.flink.metrics.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The heads' {@code documentLatencyMillis}: one sample per emitted document, from its Kafka record's timestamp
 * (carried by its spans) to its emission. Stream S holds {@code SEP x x | x SEP y SEP z}: "x" was written 5 s
 * ago and spans both chunks, "y" has no record timestamp, "z" was written 2 s ago.
 */
class DocumentLatencyTest {

    @Test
    void eachEmittedDocumentWithATimestampAddsItsAgeAtEmission() throws Exception {
        long xWritten = System.currentTimeMillis() - 5_000;
        long zWritten = System.currentTimeMillis() - 2_000;
        try (OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> h = OpsTestSupport.keyed(
                new DocumentHeads(Pooling.MEAN, 0, false), EncodedChunk::stream).open()) {
            Histogram latency = (Histogram) h.metric("documentLatencyMillis");
            h.process(chunk(0, 3, List.of(new DocSpan("x", 1, 3, 3, 1, 2, true, false, xWritten))));
            assertThat(latency.getCount()).as("no document finished yet").isZero();

            long before = System.currentTimeMillis();
            h.process(chunk(3, 5, List.of(new DocSpan("x", 1, 3, 3, 0, 1, false, true, xWritten),
                    new DocSpan("y", 5, 1, 1, 2, 1, true, true),
                    new DocSpan("z", 7, 1, 1, 4, 1, true, true, zWritten))));
            long after = System.currentTimeMillis();

            assertThat(h.drainOutput()).extracting(EmbeddingOut::id).containsExactly("x", "y", "z");
            assertThat(latency.getCount()).as("x and z; y has no timestamp").isEqualTo(2);
            assertThat(latency.getStatistics().getMax()).isBetween(before - xWritten, after - xWritten);
            assertThat(latency.getStatistics().getMin()).isBetween(before - zWritten, after - zWritten);
        }
    }

    private static EncodedChunk chunk(long firstPosition, int n, List<DocSpan> spans) {
        return new EncodedChunk("S", firstPosition, n, 1, new float[n], null, spans, List.of(), "fp");
    }
}
