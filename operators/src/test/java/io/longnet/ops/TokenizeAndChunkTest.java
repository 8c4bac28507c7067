package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.kafka.Document;
import io.longnet.text.CorpusTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;

class TokenizeAndChunkTest {

    private static final int CHUNK = 8;
    private static final long FLUSH_MS = 100;
    private static final CorpusTokenizer TOKENIZER = CorpusTokenizer.cl100k();

    private static final List<Document> DOCS = List.of(
            new Document("a1", "The quick brown fox jumps over the lazy dog, twice.", "A", null),
            new Document("b1", "Hello", "B", null),
            new Document("a2", "Short.", "A", null),
            new Document("b2", "A somewhat longer second document on stream B, to fill a chunk.", "B", null),
            new Document("a3", "<|endoftext|> is just text here.", "A", null));

    @Test
    void fullChunksGoOutAtOnceAndTheRestWhenTheTimerFires() throws Exception {
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness = harness().open()) {
            harness.h().setProcessingTime(0);
            harness.process(sourced(DOCS.get(0))); // SEP + 13 tokens: one chunk of 8 now, 6 pending

            List<StreamChunk> now = harness.drainOutput();
            assertThat(now).hasSize(1);
            assertThat(now.get(0).chunk().firstPosition()).isZero();
            assertThat(now.get(0).chunk().length()).isEqualTo(CHUNK);

            harness.h().setProcessingTime(FLUSH_MS - 1);
            assertThat(harness.drainOutput()).isEmpty();
            harness.h().setProcessingTime(FLUSH_MS);
            List<StreamChunk> flushed = harness.drainOutput();
            assertThat(flushed).hasSize(1);
            assertThat(flushed.get(0).chunk().firstPosition()).isEqualTo(CHUNK);
            assertThat(concat(List.of(now.get(0), flushed.get(0)))).isEqualTo(separated(DOCS.get(0)));
            assertThat(harness.counter("tokensChunked")).isEqualTo(1 + TOKENIZER.encode(DOCS.get(0).text()).length);
            assertThat(harness.h().numProcessingTimeTimers()).isZero();
        }
    }

    @Test
    void aLoneShortDocumentIsFlushedByTheTimer() throws Exception {
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness = harness().open()) {
            harness.h().setProcessingTime(1000);
            harness.process(sourced(DOCS.get(1)));
            assertThat(harness.drainOutput()).isEmpty();
            harness.h().setProcessingTime(1000 + FLUSH_MS);
            List<StreamChunk> out = harness.drainOutput();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).stream()).isEqualTo("B");
            assertThat(out.get(0).chunk().spans()).hasSize(1);
            assertThat(out.get(0).chunk().spans().get(0).docEndsHere()).isTrue();
            assertThat(concat(out)).isEqualTo(separated(DOCS.get(1)));
        }
    }

    /** A bytes model's stream: each document's UTF-8 bytes after separator 256, not cl100k_base's ids. */
    @Test
    void theModelsTokenizerMakesTheTokens() throws Exception {
        Document doc = new Document("u1", "h\u00e9 \u65e5", "U", null); // h, é (2 bytes), space, 日 (3 bytes)
        List<StreamChunk> out;
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness = OpsTestSupport.keyed(
                new TokenizeAndChunk(CHUNK, 0, CorpusTokenizer.bytes()), SourcedDocument::stream).open()) {
            harness.process(sourced(doc));
            out = harness.drainOutput();
        }
        assertThat(concat(out)).containsExactly(256, 0x68, 0xC3, 0xA9, 0x20, 0xE6, 0x97, 0xA5);
        assertThat(out.get(0).chunk().length()).as("a full chunk of 8").isEqualTo(CHUNK);
    }

    /**
     * Every span of a document carries the UTF-8 length of its text, which is the bytes its tokens stand for: for
     * cl100k_base, whose tokens hold several bytes or parts of a character, as for bytes.
     */
    @Test
    void everySpanCarriesItsDocumentsUtf8ByteCount() throws Exception {
        String text = "h\u00e9llo w\u00f6rld \u2713"; // héllo wörld ✓: é and ö are 2 bytes, ✓ 3
        for (CorpusTokenizer tokenizer : List.of(CorpusTokenizer.cl100k(), CorpusTokenizer.bytes())) {
            int[] tokens = tokenizer.encode(text);
            List<StreamChunk> out;
            try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness = OpsTestSupport.keyed(
                    new TokenizeAndChunk(4, 0, tokenizer), SourcedDocument::stream).open()) {
                harness.process(sourced(new Document("u1", text, "U", null)));
                out = harness.drainOutput();
            }

            assertThat(java.util.Arrays.stream(tokens).map(tokenizer::bytesOf).sum()).as(tokenizer.name())
                    .isEqualTo(17);
            assertThat(out.stream().flatMap(c -> c.chunk().spans().stream()).toList()).as(tokenizer.name())
                    .hasSizeGreaterThan(1)
                    .allSatisfy(span -> {
                        assertThat(span.docTokenCount()).isEqualTo(tokens.length);
                        assertThat(span.docByteCount()).isEqualTo(17);
                    });
        }
    }

    /** Two streams, a snapshot with tokens pending and a timer set, a restore: the same chunks as without. */
    @Test
    void snapshotAndRestoreContinueEachStreamWhereItWas() throws Exception {
        Map<String, List<StreamChunk>> uninterrupted = run(DOCS.size());
        Map<String, List<StreamChunk>> restored = new LinkedHashMap<>();
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> first = harness().open()) {
            for (int d = 0; d < 3; d++) {
                first.h().setProcessingTime(10L * d);
                first.process(sourced(DOCS.get(d)));
            }
            collect(first.drainOutput(), restored);
            assertThat(restored).as("B's document waits for its timer, across the restore").doesNotContainKey("B");
            snapshot = first.checkpoint(1);
            first.process(sourced(DOCS.get(3))); // after the checkpoint: lost with this instance, replayed below
        }
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> second = harness().restore(snapshot)) {
            second.h().setProcessingTime(30);
            for (Document doc : DOCS.subList(3, DOCS.size())) {
                second.process(sourced(doc));
            }
            second.h().setProcessingTime(10 * FLUSH_MS);
            collect(second.drainOutput(), restored);
        }
        assertThat(restored).isEqualTo(uninterrupted);
        for (String stream : List.of("A", "B")) {
            List<Integer> expected = new ArrayList<>();
            DOCS.stream().filter(d -> d.stream().equals(stream)).forEach(d -> expected.addAll(separated(d)));
            assertThat(concat(restored.get(stream))).as("stream %s: its own documents, from position 0", stream)
                    .isEqualTo(expected);
        }
    }

    /** Restored with a smaller chunk-size, the timer flushes more pending tokens than a chunk holds: in chunks. */
    @Test
    void aRestoreWithASmallerChunkSizeFlushesThePendingTokensInChunksOfTheNewSize() throws Exception {
        int smaller = 4;
        List<StreamChunk> out = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> first = harness(CHUNK).open()) {
            first.h().setProcessingTime(0);
            first.process(sourced(DOCS.get(0))); // SEP + 13 tokens: one chunk of 8 out, 6 pending, a timer set
            out.addAll(first.drainOutput());
            snapshot = first.checkpoint(1);
        }
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> second = harness(smaller).restore(snapshot)) {
            second.h().setProcessingTime(FLUSH_MS);
            out.addAll(second.drainOutput());
            second.process(sourced(DOCS.get(2))); // SEP + 2 tokens, on the same stream, cut by the new size
            second.h().setProcessingTime(3 * FLUSH_MS);
            out.addAll(second.drainOutput());
            assertThat(second.h().numProcessingTimeTimers()).isZero();
        }
        assertThat(out.subList(1, out.size())).allSatisfy(c -> assertThat(c.chunk().length()).isLessThanOrEqualTo(smaller));
        List<Integer> expected = new ArrayList<>(separated(DOCS.get(0)));
        expected.addAll(separated(DOCS.get(2)));
        assertThat(concat(out)).as("stream A's tokens, each once, in order").isEqualTo(expected);
    }

    /** Restored with a shorter flush interval, the stream's next document brings the old, later timer forward. */
    @Test
    void aRestoreWithAShorterFlushIntervalFlushesByTheNewInterval() throws Exception {
        List<StreamChunk> out = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> first = harness(CHUNK, 3_600_000).open()) {
            first.h().setProcessingTime(0);
            first.process(sourced(DOCS.get(1))); // "Hello" on B: pending, its timer an hour away
            snapshot = first.checkpoint(1);
        }
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> second = harness(CHUNK, FLUSH_MS).restore(snapshot)) {
            second.h().setProcessingTime(1000);
            second.process(sourced(DOCS.get(3)));
            out.addAll(second.drainOutput());
            second.h().setProcessingTime(1000 + FLUSH_MS);
            out.addAll(second.drainOutput());
            assertThat(second.h().numProcessingTimeTimers()).as("the hour-long timer is gone").isZero();
        }
        List<Integer> expected = new ArrayList<>(separated(DOCS.get(1)));
        expected.addAll(separated(DOCS.get(3)));
        assertThat(concat(out)).as("stream B's tokens, all out by the new interval").isEqualTo(expected);
    }

    private static Map<String, List<StreamChunk>> run(int docs) throws Exception {
        Map<String, List<StreamChunk>> out = new LinkedHashMap<>();
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness = harness().open()) {
            harness.h().setProcessingTime(0);
            for (Document doc : DOCS.subList(0, docs)) {
                harness.process(sourced(doc));
            }
            harness.h().setProcessingTime(FLUSH_MS);
            collect(harness.drainOutput(), out);
        }
        return out;
    }

    private static void collect(List<StreamChunk> chunks, Map<String, List<StreamChunk>> byStream) {
        for (StreamChunk c : chunks) {
            byStream.computeIfAbsent(c.stream(), s -> new ArrayList<>()).add(c);
        }
    }

    private static OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness() throws Exception {
        return harness(CHUNK);
    }

    private static OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness(int chunkSize) throws Exception {
        return harness(chunkSize, FLUSH_MS);
    }

    private static OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness(int chunkSize, long flushMillis)
            throws Exception {
        return OpsTestSupport.keyed(new TokenizeAndChunk(chunkSize, flushMillis, TOKENIZER), SourcedDocument::stream);
    }

    /** The chunks' tokens in order; fails unless each chunk starts where the previous one ended. */
    private static List<Integer> concat(List<StreamChunk> chunks) {
        List<Integer> tokens = new ArrayList<>();
        long position = 0;
        for (StreamChunk c : chunks) {
            assertThat(c.chunk().firstPosition()).isEqualTo(position);
            for (int t : c.chunk().tokens()) {
                tokens.add(t);
            }
            position = c.chunk().endPosition();
        }
        return tokens;
    }

    private static List<Integer> separated(Document doc) {
        List<Integer> tokens = new ArrayList<>(List.of(CorpusTokenizer.SEPARATOR_ID));
        for (int t : TOKENIZER.encode(doc.text())) {
            tokens.add(t);
        }
        return tokens;
    }

    /** Every document of these tests comes from partition 0 unless a test says otherwise. */
    private static SourcedDocument sourced(Document doc) {
        return new SourcedDocument(doc, 0);
    }

    @Test
    void aStreamWhoseDocumentsComeFromAnotherPartitionIsCountedAndStillChunked() throws Exception {
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> harness = harness(CHUNK, 0).open()) {
            harness.process(new SourcedDocument(DOCS.get(0), 3));
            harness.process(new SourcedDocument(DOCS.get(2), 3));
            assertThat(harness.counter("streamPartitionChanges")).isZero();
            harness.process(new SourcedDocument(DOCS.get(4), 5)); // stream A, now from partition 5
            harness.process(new SourcedDocument(DOCS.get(1), 5)); // stream B: its first document, no change
            assertThat(harness.counter("streamPartitionChanges")).isEqualTo(1);
            List<Integer> expected = new ArrayList<>(separated(DOCS.get(0)));
            expected.addAll(separated(DOCS.get(2)));
            expected.addAll(separated(DOCS.get(4)));
            assertThat(concat(harness.drainOutput().stream().filter(c -> c.stream().equals("A")).toList()))
                    .isEqualTo(expected);
        }
    }

    /** Each document's Kafka record timestamp goes with every span of it, also when a restore cut it in two. */
    @Test
    void everySpanCarriesItsDocumentsRecordTimestampAcrossARestore() throws Exception {
        OperatorSubtaskState snapshot;
        List<StreamChunk> chunks = new ArrayList<>();
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> first = harness().open()) {
            first.h().setProcessingTime(0);
            first.process(new SourcedDocument(DOCS.get(0), 0, 1_000L)); // 14 tokens: a chunk now, 6 pending
            chunks.addAll(first.drainOutput());
            snapshot = first.checkpoint(1);
        }
        try (OpsTestSupport.Harness<SourcedDocument, StreamChunk> second = harness().restore(snapshot)) {
            second.h().setProcessingTime(1);
            second.process(new SourcedDocument(DOCS.get(2), 0, 2_000L));
            second.h().setProcessingTime(10 * FLUSH_MS);
            chunks.addAll(second.drainOutput());
        }
        Map<String, List<Long>> timestamps = new LinkedHashMap<>();
        chunks.forEach(c -> c.chunk().spans().forEach(span -> timestamps
                .computeIfAbsent(span.docId(), id -> new ArrayList<>()).add(span.sourceTimestamp())));
        assertThat(timestamps).containsExactly(Map.entry("a1", List.of(1_000L, 1_000L)),
                Map.entry("a2", List.of(2_000L)));
    }
}
