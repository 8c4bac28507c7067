package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.compute.EncoderThreads;
import io.longnet.model.ModelDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks of several streams encoded in one forward give every stream the outputs it gets one chunk at a time, with
 * waits, checkpoints, restores, the hot-state limit and failing documents.
 */
class EncoderBatchTest {

    private static final int TOP_K = 3;
    private static final long WAIT = 50;

    @TempDir
    static Path modelDir;
    static ModelDirectory model;
    /** Four streams' chunks as they might arrive: interleaved, then one stream's alone, twice in a row. */
    static List<StreamChunk> input;

    @BeforeAll
    static void tinyModelAndFourStreams() throws Exception {
        model = OpsTestSupport.tinyModel(modelDir);
        List<List<StreamChunk>> streams = List.of(
                EncoderOperatorTest.chunks("A", 7, new int[] {5, 1, 12, 3, 9}, 1),
                EncoderOperatorTest.chunks("B", 6, new int[] {4, 10, 2, 6}, 2),
                EncoderOperatorTest.chunks("C", 9, new int[] {20, 3}, 3),
                EncoderOperatorTest.chunks("D", 5, new int[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 4));
        input = new ArrayList<>();
        int rounds = streams.stream().mapToInt(List::size).max().orElseThrow();
        for (int i = 0; i < rounds; i++) {
            for (List<StreamChunk> s : streams) {
                if (i < s.size()) {
                    input.add(s.get(i));
                }
            }
        }
        assertThat(input.get(input.size() - 1).stream()).as("the last rounds are D's alone")
                .isEqualTo(input.get(input.size() - 2).stream());
    }

    static EncoderOperator encoder(Path dir, long hotStateBytes, EncoderBatching batching) {
        return new EncoderOperator(dir.toString(), TOP_K, true, hotStateBytes, ModelChange.FAIL,
                EncoderThreads.perSlotShare(), batching);
    }

    static List<EncodedChunk> oneAtATime(Path dir, List<StreamChunk> chunks) throws Exception {
        return EncoderOperatorTest.encodeAll(encoder(dir, EncoderOperator.DEFAULT_HOT_STATE_BYTES,
                EncoderBatching.OFF), chunks);
    }

    /** Processes every chunk at processing time 0, then lets the wait pass; returns what came out. */
    static List<EncodedChunk> batched(OpsTestSupport.Harness<StreamChunk, EncodedChunk> h, List<StreamChunk> chunks)
            throws Exception {
        for (StreamChunk c : chunks) {
            h.process(c);
        }
        h.h().setProcessingTime(h.h().getProcessingTime() + WAIT);
        return h.drainOutput();
    }

    @Test
    void batchesGiveEachStreamWhatItGetsOneChunkAtATime() throws Exception {
        List<EncodedChunk> out;
        Histogram perBatch;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                EncoderOperatorTest.harness(encoder(modelDir, EncoderOperator.DEFAULT_HOT_STATE_BYTES,
                        new EncoderBatching(24, WAIT))).open()) {
            out = batched(h, input);
            perBatch = (Histogram) h.metric("chunksPerBatch");
            assertThat(h.counter("tokensEncoded")).isEqualTo(input.stream().mapToLong(c -> c.chunk().length()).sum());
        }
        assertThat(perBatch.getStatistics().getMax()).as("chunks in the largest batch").isGreaterThanOrEqualTo(3);
        assertThat(perBatch.getCount()).isLessThan(input.size());
        assertSameByStream(out, oneAtATime(modelDir, input));
    }

    @Test
    void aWaitingChunkIsEncodedWhenItsWaitIsOver() throws Exception {
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                EncoderOperatorTest.harness(encoder(modelDir, EncoderOperator.DEFAULT_HOT_STATE_BYTES,
                        new EncoderBatching(512, WAIT))).open()) {
            h.h().setProcessingTime(1000);
            h.process(input.get(0));
            h.h().setProcessingTime(1000 + WAIT - 1);
            assertThat(h.drainOutput()).isEmpty();
            h.process(input.get(1));
            h.h().setProcessingTime(1000 + WAIT);
            assertThat(h.drainOutput()).extracting(EncodedChunk::stream)
                    .containsExactly(input.get(0).stream(), input.get(1).stream());
        }
    }

    /** A checkpoint encodes and emits the waiting chunks first; a restore continues as if uninterrupted. */
    @Test
    void aCheckpointNeverHoldsAWaitingChunk() throws Exception {
        int cut = 5;
        List<EncodedChunk> out = new ArrayList<>();
        OperatorSubtaskState snapshot;
        EncoderBatching batching = new EncoderBatching(512, WAIT);
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = EncoderOperatorTest.harness(
                encoder(modelDir, EncoderOperator.DEFAULT_HOT_STATE_BYTES, batching)).open()) {
            for (StreamChunk c : input.subList(0, cut)) {
                h.process(c);
            }
            snapshot = h.checkpoint(1);
            out.addAll(h.drainOutput());
            assertThat(out).as("all %d chunks before the snapshot", cut).hasSize(cut);
        }
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = EncoderOperatorTest.harness(
                encoder(modelDir, EncoderOperator.DEFAULT_HOT_STATE_BYTES, batching)).restore(snapshot)) {
            out.addAll(batched(h, input.subList(cut, input.size())));
        }
        assertSameByStream(out, oneAtATime(modelDir, input));
    }

    /**
     * Memory for two streams at their bound: the room a batch needs is made before its streams load and grow, a
     * batch that does not fit is encoded in several forwards, and the held bytes never pass the limit.
     */
    @Test
    void theHotStateLimitHoldsWhileABatchLoadsAndGrows() throws Exception {
        long limit = 2 * EncoderOperator.oneStreamBytes(model.config());
        List<EncodedChunk> out;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = EncoderOperatorTest.harness(
                encoder(modelDir, limit, new EncoderBatching(512, WAIT))).open()) {
            out = batched(h, input);
            assertThat((Long) ((Gauge<?>) h.metric("hotStatePeakBytes")).getValue()).as("held at once, at any time")
                    .isPositive().isLessThanOrEqualTo(limit);
            assertThat(h.counter("hotStreamEvictions")).isPositive();
            assertThat(h.counter("hotStreamReloads")).isPositive();
        }
        assertSameByStream(out, oneAtATime(modelDir, input));
    }

    /** A document that fails in a batch fails alone, as one chunk at a time; the batch's other streams are unhurt. */
    @Test
    void aFailingDocumentInABatchFailsAloneAsItDoesOneChunkAtATime(@TempDir Path poisonedDir) throws Exception {
        StreamChunk victim = input.stream().filter(c -> c.stream().equals("C")).findFirst().orElseThrow();
        OpsTestSupport.poisonedModel(poisonedDir, victim.chunk().tokens()[3]);
        List<EncodedChunk> out;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = EncoderOperatorTest.harness(
                encoder(poisonedDir, EncoderOperator.DEFAULT_HOT_STATE_BYTES, new EncoderBatching(512, WAIT)))
                .open()) {
            out = batched(h, input);
            assertThat(h.counter("chunksFailed")).isEqualTo(1);
        }
        List<EncodedChunk> expected = oneAtATime(poisonedDir, input);
        assertThat(expected.stream().flatMap(c -> c.failures().stream()).count()).isEqualTo(1);
        assertSameByStream(out, expected);
    }

    /** Per stream, the same chunks in the same order, with equal values up to the gemms' summation order. */
    static void assertSameByStream(List<EncodedChunk> got, List<EncodedChunk> expected) {
        Function<List<EncodedChunk>, List<EncodedChunk>> byStream = chunks -> chunks.stream()
                .sorted(Comparator.comparing(EncodedChunk::stream)) // stable: each stream's order is kept
                .collect(Collectors.toList());
        List<EncodedChunk> g = byStream.apply(got);
        List<EncodedChunk> e = byStream.apply(expected);
        assertThat(g).hasSameSizeAs(e);
        for (int i = 0; i < g.size(); i++) {
            EncodedChunk a = g.get(i);
            EncodedChunk b = e.get(i);
            String what = a.stream() + "@" + b.firstPosition();
            assertThat(a.stream()).isEqualTo(b.stream());
            assertThat(a.firstPosition()).as(what).isEqualTo(b.firstPosition());
            assertThat(a.spans()).as(what).isEqualTo(b.spans());
            assertThat(a.failures()).as(what).isEqualTo(b.failures());
            assertThat(a.features()).as(what).hasSameSizeAs(b.features());
            for (int j = 0; j < a.features().length; j++) {
                assertThat(a.features()[j]).as("%s feature %d", what, j).isCloseTo(b.features()[j], within(1e-5f));
            }
            for (int j = 0; j < a.nll().length; j++) {
                assertThat(Double.isNaN(a.nll()[j])).as("%s nll %d NaN", what, j).isEqualTo(Double.isNaN(b.nll()[j]));
                if (!Double.isNaN(b.nll()[j])) {
                    assertThat(a.nll()[j]).as("%s nll %d", what, j).isCloseTo(b.nll()[j], within(1e-4));
                }
            }
            assertThat(a.topNext()).as(what).hasSameSizeAs(b.topNext());
            for (int d = 0; d < a.topNext().size(); d++) {
                assertThat(a.topNext().get(d).docFirstPosition()).isEqualTo(b.topNext().get(d).docFirstPosition());
                assertThat(a.topNext().get(d).tokens()).extracting(io.longnet.kafka.TopToken::id).as(what)
                        .isEqualTo(b.topNext().get(d).tokens().stream().map(io.longnet.kafka.TopToken::id).toList());
            }
        }
    }
}
