package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.demo.SampleCorpus;
import io.longnet.job.JobTaps;
import io.longnet.job.JobOptions;
import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.model.ModelDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Bad input never stops the job and is never dropped: it goes to the dead-letter topic with its reason. */
class DeadLetterITCase {

    private static final int MAX_DOCUMENT_BYTES = 2048;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = Pipeline.miniCluster();

    /** A rejected record: its bytes and the WireError name its reason must start with. */
    private record Bad(String stream, byte[] value, String reasonPrefix) {
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Bad> badRecords() {
        String s = "field-notes";
        return List.of(
                new Bad(s, utf8("not json {"), "NOT_JSON"),
                new Bad(s, utf8("{\"id\":\"a\",\"stream\":\"field-notes\"}"), "MISSING_FIELD"),
                new Bad(s, new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xFF, '"', '}'}, "NOT_UTF8"),
                new Bad(s, utf8("{\"id\":\"b\",\"text\":\"\"}"), "EMPTY_FIELD"),
                new Bad(s, utf8("{\"id\":\"c\",\"text\":\"" + "x".repeat(MAX_DOCUMENT_BYTES) + "\"}"), "TOO_LARGE"),
                new Bad(s, utf8("{\"id\":42,\"text\":\"a number for an id\"}"), "WRONG_TYPE"),
                new Bad(s, utf8("{\"id\":\"d\",\"text\":[\"not\",\"a\",\"string\"]}"), "WRONG_TYPE"),
                new Bad(s, utf8("[1, 2, 3]"), "NOT_OBJECT"),
                new Bad(s, utf8("{\"v\":2,\"id\":\"e\",\"text\":\"from the future\"}"), "UNSUPPORTED_VERSION"));
    }

    @Test
    void badRecordsGoToTheDeadLetterTopicWithTheirReasonAndTheJobKeepsRunning(@TempDir Path dir) throws Exception {
        ModelDirectory model = TinyModel.write(dir.resolve("model"));
        List<Document> docs = SampleCorpus.documents(10);
        List<Bad> bad = badRecords();
        // Bad records between the good ones, so that good documents come after every kind of bad one.
        List<Map.Entry<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < Math.max(docs.size(), bad.size()); i++) {
            if (i < bad.size()) {
                records.add(Map.entry(bad.get(i).stream(), bad.get(i).value()));
            }
            if (i < docs.size()) {
                records.add(Map.entry(docs.get(i).stream(), docs.get(i).toJson()));
            }
        }
        try (Pipeline pipeline = new Pipeline("it-dead-letters", model.dir(), dir.resolve("cp"),
                Map.of(JobOptions.MAX_DOCUMENT_BYTES.key(), Integer.toString(MAX_DOCUMENT_BYTES),
                        JobOptions.PREDICTIONS.key(), "false"))) {
            pipeline.writeRaw(records);
            pipeline.start(JobTaps.NONE);
            pipeline.awaitCounts(docs.size(), bad.size());

            List<DeadLetter> letters = pipeline.outputs().deadLetters();
            assertThat(pipeline.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(letters).hasSize(bad.size());
            assertThat(pipeline.outputs().embeddings()).extracting(EmbeddingOut::id)
                    .containsExactlyInAnyOrderElementsOf(docs.stream().map(Document::id).toList());
            assertThat(pipeline.outputs().predictions()).as("predictions are off").isEmpty();
            assertThat(records).hasSize(pipeline.outputs().embeddings().size() + letters.size());
            for (Bad b : bad) {
                assertThat(letters).as("dead letter for %s", b.reasonPrefix())
                        .anySatisfy(letter -> {
                            assertThat(letter.original()).isEqualTo(b.value());
                            assertThat(letter.reason()).startsWith(b.reasonPrefix() + ": ");
                            assertThat(letter.sourceTopic()).isEqualTo(pipeline.topics.documents());
                        });
            }
        }
    }
}
