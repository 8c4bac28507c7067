package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.demo.SampleCorpus;
import io.longnet.job.JobTaps;
import io.longnet.job.JobOptions;
import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.Document;
import io.longnet.kafka.DocumentFailure;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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

    /**
     * A model whose embedding of one token id is NaN: exactly the documents holding it go to the dead-letter
     * topic as DocumentFailures, every other document gets its embedding and prediction, the job
     * never restarts, and documents in = embeddings + dead letters.
     */
    @Test
    void documentsTheModelCannotEncodeGoToTheDeadLetterTopicAndTheStreamGoesOn(@TempDir Path dir) throws Exception {
        List<Document> docs = SampleCorpus.documents(40);
        int poison = rareToken(docs);
        ModelDirectory model = TinyModel.writePoisoned(dir.resolve("model"), poison);
        List<String> poisoned = docs.stream()
                .filter(d -> Arrays.stream(CorpusTokenizer.cl100k().encode(d.text())).anyMatch(t -> t == poison))
                .map(Document::id).toList();
        try (Pipeline pipeline = new Pipeline("it-poisoned", model.dir(), dir.resolve("cp"), Map.of())) {
            pipeline.write(docs);
            pipeline.start(JobTaps.NONE);
            // The two sinks commit their transactions one after the other: wait for both, as awaitCounts does.
            pipeline.awaitOutputs(() -> pipeline.outputs().embeddings().size()
                            + pipeline.outputs().documentFailures().size() >= docs.size()
                            && pipeline.outputs().predictions().size() >= pipeline.outputs().embeddings().size(),
                    docs.size() + " embeddings and document failures, and a prediction per embedding");
            pipeline.outputs().readToEnd(Duration.ofSeconds(120)); // a duplicate would come with the same commit

            List<DocumentFailure> failures = pipeline.outputs().documentFailures();
            assertThat(pipeline.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(pipeline.outputs().deadLetters()).isEmpty();
            // the failure unit is the document: exactly the poisoned ones, whatever the flush timers cut
            assertThat(failures).extracting(DocumentFailure::id).containsExactlyInAnyOrderElementsOf(poisoned);
            assertThat(failures).allSatisfy(f -> assertThat(f.reason()).startsWith("encoder: ").contains("NaN"));
            assertThat(pipeline.outputs().embeddings().size() + failures.size()).isEqualTo(docs.size());
            assertThat(pipeline.outputs().embeddings()).extracting(EmbeddingOut::id)
                    .doesNotContainAnyElementsOf(failures.stream().map(DocumentFailure::id).toList());
            assertThat(pipeline.outputs().predictions()).hasSameSizeAs(pipeline.outputs().embeddings());
        }
    }

    /** An ordinary token id found in exactly one of the documents. */
    private static int rareToken(List<Document> docs) {
        Map<Integer, Integer> documentsWith = new java.util.HashMap<>();
        for (Document d : docs) {
            Arrays.stream(CorpusTokenizer.cl100k().encode(d.text())).distinct()
                    .forEach(t -> documentsWith.merge(t, 1, Integer::sum));
        }
        return documentsWith.entrySet().stream().filter(e -> e.getValue() == 1).mapToInt(Map.Entry::getKey)
                .min().orElseThrow();
    }
}
