package io.longnet.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamChunkerTest {

    private static final int SEP = CorpusTokenizer.SEPARATOR_ID;

    @Test
    void configRejectsChunkSizeBelowTwo() {
        assertThatThrownBy(() -> new ChunkerConfig(1, SEP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("chunk-size must be >= 2, got 1");
        assertThat(new ChunkerConfig(2, SEP).maxChunkTokens()).isEqualTo(2);
    }

    @Test
    void cutsOneTokenEarlyRatherThanEndOnASeparator() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(3, SEP));
        append(chunker, "a", new int[] {11});
        append(chunker, "b", new int[] {12, 13});

        List<Chunk> chunks = chunker.drainFull();

        // Sequence SEP 11 SEP 12 13: a 3-token chunk would end on b's separator.
        assertThat(chunks).containsExactly(
                new Chunk(0, new int[] {SEP, 11}, List.of(new DocSpan("a", 1, 1, 2, 1, 1, true, true))),
                new Chunk(2, new int[] {SEP, 12, 13}, List.of(new DocSpan("b", 3, 2, 4, 1, 2, true, true))));
        assertThat(chunker.flush()).isEmpty();
        assertThat(chunker.nextChunkPosition()).isEqualTo(5);
    }

    @Test
    void longDocumentSpansSeveralChunksAndTheTimerFlushesTheRest() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(4, SEP));
        append(chunker, "a", new int[] {1, 2, 3, 4, 5, 6});

        List<Chunk> full = chunker.drainFull();
        Chunk rest = chunker.flush().orElseThrow();

        assertThat(full).containsExactly(
                new Chunk(0, new int[] {SEP, 1, 2, 3}, List.of(new DocSpan("a", 1, 6, 12, 1, 3, true, false))));
        assertThat(rest).isEqualTo(
                new Chunk(4, new int[] {4, 5, 6}, List.of(new DocSpan("a", 1, 6, 12, 0, 3, false, true))));
        assertThat(rest.spans().get(0).firstTokenIndexInDoc(rest.firstPosition())).isEqualTo(3);
        assertThat(chunker.pendingTokenCount()).isZero();
        assertThat(chunker.endPosition()).isEqualTo(7);
    }

    @Test
    void chunkHoldsPiecesOfSeveralDocuments() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(8, SEP));
        append(chunker, "a", new int[] {1, 2});
        append(chunker, "b", new int[] {3});
        append(chunker, "c", new int[] {4, 5, 6});

        Chunk chunk = chunker.drainFull().get(0);

        assertThat(chunk.tokens()).containsExactly(SEP, 1, 2, SEP, 3, SEP, 4, 5);
        assertThat(chunk.spans()).containsExactly(
                new DocSpan("a", 1, 2, 4, 1, 2, true, true),
                new DocSpan("b", 4, 1, 2, 4, 1, true, true),
                new DocSpan("c", 6, 3, 6, 6, 2, true, false));
    }

    @Test
    void rejectsEmptyAndMalformedDocuments() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(4, SEP));

        assertThatThrownBy(() -> append(chunker, "d7", new int[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'d7' has no tokens");
        assertThatThrownBy(() -> append(chunker, "d8", new int[] {5, SEP}))
                .hasMessageContainingAll("'d8'", "token 1", "100257");
        assertThatThrownBy(() -> append(chunker, "d9", new int[] {-3}))
                .hasMessageContainingAll("'d9'", "-3");
        assertThat(chunker.endPosition()).isZero();
    }

    @Test
    void flushRefusesMoreThanOneChunkOfPendingTokens() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(3, SEP));
        append(chunker, "a", new int[] {1, 2, 3});

        assertThatThrownBy(chunker::flush)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContainingAll("4 pending", "chunk-size 3", "drainFull");
    }

    @Test
    void randomStreamsChunkIntoTheSeparatedSequence() {
        Random random = new Random(20240611);
        int cuts = 0;
        for (int trial = 0; trial < 300; trial++) {
            int chunkSize = 2 + random.nextInt(30);
            List<int[]> docs = randomDocuments(random, chunkSize);
            List<Chunk> chunks = chunkWithRandomTimers(random, chunkSize, docs);
            cuts += checkChunks(chunks, docs, chunkSize);
        }
        assertThat(cuts).as("chunks cut early by the separator rule").isGreaterThan(50);
    }

    @Test
    void veryLongDocumentFollowedByShortOnes() {
        Random random = new Random(5);
        List<int[]> docs = List.of(random.ints(5000, 0, 1000).toArray(), new int[] {1}, new int[] {2, 3});
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(4, SEP));
        List<Chunk> chunks = new ArrayList<>();
        for (int d = 0; d < docs.size(); d++) {
            append(chunker, "doc-" + d, docs.get(d));
            chunks.addAll(chunker.drainFull());
        }
        chunker.flush().ifPresent(chunks::add);

        checkChunks(chunks, docs, 4);
        assertThat(chunks.get(chunks.size() - 1).endPosition()).isEqualTo(5000 + 1 + 2 + 3);
    }

    @Test
    void bytesRoundTripKeepsTheStateAndItsFutureChunks() {
        StreamChunker original = new StreamChunker(new ChunkerConfig(5, SEP));
        append(original, "première", new int[] {1, 2, 3, 4, 5, 6, 7});
        original.drainFull();
        append(original, "second", new int[] {8, 9});

        byte[] bytes = original.toBytes();
        StreamChunker restored = StreamChunker.fromBytes(bytes, SEP);

        assertThat(bytes[0]).isEqualTo((byte) 3);
        assertThat(restored.toBytes()).isEqualTo(bytes);
        assertThat(restored.nextChunkPosition()).isEqualTo(original.nextChunkPosition()).isEqualTo(5);
        assertThat(restored.pendingTokenCount()).isEqualTo(original.pendingTokenCount()).isEqualTo(6);
        assertThat(restored.config()).isEqualTo(new ChunkerConfig(5, SEP));
        for (StreamChunker c : List.of(original, restored)) {
            append(c, "third", new int[] {10, 11, 12, 13});
        }
        assertThat(restored.drainFull()).isEqualTo(original.drainFull()).isNotEmpty();
        assertThat(restored.flush()).isEqualTo(original.flush()).isPresent();
    }

    @Test
    void restoreCanApplyANewChunkSize() {
        StreamChunker original = new StreamChunker(new ChunkerConfig(50, SEP));
        append(original, "a", new int[] {1, 2, 3, 4, 5});

        StreamChunker restored = StreamChunker.fromBytes(original.toBytes(), new ChunkerConfig(2, SEP));

        assertThat(restored.config().maxChunkTokens()).isEqualTo(2);
        assertThat(restored.drainFull()).extracting(Chunk::length).containsExactly(2, 2, 2);
    }

    @Test
    void drainAllCutsEverythingPendingIntoChunksOfTheRestoredSize() {
        StreamChunker original = new StreamChunker(new ChunkerConfig(50, SEP));
        append(original, "a", new int[] {1, 2, 3, 4, 5, 6});

        StreamChunker restored = StreamChunker.fromBytes(original.toBytes(), new ChunkerConfig(3, SEP));
        List<Chunk> chunks = restored.drainAll();

        assertThat(chunks).extracting(Chunk::length).containsExactly(3, 3, 1);
        assertThat(chunks).extracting(Chunk::firstPosition).containsExactly(0L, 3L, 6L);
        assertThat(restored.pendingTokenCount()).isZero();
        assertThat(restored.drainAll()).isEmpty();
    }

    @Test
    void rejectsForeignOrDamagedState() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(5, SEP));
        append(chunker, "a", new int[] {1, 2});
        byte[] bytes = chunker.toBytes();
        byte[] otherVersion = bytes.clone();
        otherVersion[0] = 9;

        assertThatThrownBy(() -> StreamChunker.fromBytes(otherVersion, SEP)).hasMessageContaining("format version 9");
        assertThatThrownBy(() -> StreamChunker.fromBytes(Arrays.copyOf(bytes, bytes.length - 3), SEP))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StreamChunker.fromBytes(Arrays.copyOf(bytes, bytes.length + 1), SEP))
                .hasMessageContaining("trailing");
    }

    @Test
    void everySpanOfADocumentCarriesItsByteCountAndSourceTimestampAcrossARestore() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(4, SEP));
        chunker.append("a", new int[] {1, 2, 3, 4, 5}, 13, 1_000L);
        chunker.append("b", new int[] {6}, 1, 2_000L);
        List<Chunk> chunks = new ArrayList<>(chunker.drainFull());
        chunker = StreamChunker.fromBytes(chunker.toBytes(), SEP);
        chunks.addAll(chunker.drainAll());

        assertThat(chunks.stream().flatMap(c -> c.spans().stream()).toList()).containsExactly(
                new DocSpan("a", 1, 5, 13, 1, 3, true, false, 1_000L),
                new DocSpan("a", 1, 5, 13, 0, 2, false, true, 1_000L),
                new DocSpan("b", 7, 1, 1, 3, 1, true, true, 2_000L));
    }

    @Test
    void rejectsAByteCountBelowTheTokenCount() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(4, SEP));

        assertThatThrownBy(() -> chunker.append("d3", new int[] {1, 2, 3}, 2, DocSpan.NO_TIMESTAMP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("document 'd3' has 3 tokens but a byte count of 2; every ordinary token stands for at"
                        + " least one UTF-8 byte");
        assertThat(chunker.endPosition()).isZero();
    }

    /** State written before timestamps were kept (format 1) restores, its documents without a timestamp. */
    @Test
    void readsFormatOneWithoutTimestamps() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeByte(1);       // version
            out.writeInt(8);        // chunk-size
            out.writeLong(0);       // nextChunkPosition
            out.writeInt(3);        // pending tokens: SEP 11 12
            out.writeInt(SEP);
            out.writeInt(11);
            out.writeInt(12);
            out.writeInt(1);        // pending documents
            out.writeInt(1);
            out.write('a');
            out.writeLong(1);       // first position
            out.writeInt(2);        // token count
        }
        StreamChunker restored = StreamChunker.fromBytes(bytes.toByteArray(), SEP);

        assertThat(restored.drainAll()).singleElement().satisfies(chunk -> assertThat(chunk.spans())
                .containsExactly(new DocSpan("a", 1, 2, DocSpan.UNKNOWN_BYTE_COUNT, 1, 2, true, true,
                        DocSpan.NO_TIMESTAMP)));
        assertThat(restored.toBytes()[0]).as("written again as format 3").isEqualTo((byte) 3);
    }

    /**
     * State written before byte counts were kept (format 2) restores: its pending documents' byte count is unknown
     * (their bits per byte will be too), a document appended after the restore has its own.
     */
    @Test
    void readsFormatTwoWithoutByteCounts() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeByte(2);       // version
            out.writeInt(8);        // chunk-size
            out.writeLong(3);       // nextChunkPosition: SEP 10 11 already emitted
            out.writeInt(2);        // pending tokens: the last two of document 'a'
            out.writeInt(12);
            out.writeInt(13);
            out.writeInt(1);        // pending documents
            out.writeInt(1);
            out.write('a');
            out.writeLong(1);       // first position
            out.writeInt(4);        // token count
            out.writeLong(5_000L);  // source timestamp
        }
        StreamChunker restored = StreamChunker.fromBytes(bytes.toByteArray(), SEP);
        restored.append("b", new int[] {14}, 3, 6_000L);

        assertThat(restored.drainAll()).singleElement().satisfies(chunk -> assertThat(chunk.spans()).containsExactly(
                new DocSpan("a", 1, 4, DocSpan.UNKNOWN_BYTE_COUNT, 0, 2, false, true, 5_000L),
                new DocSpan("b", 6, 1, 3, 3, 1, true, true, 6_000L)));
        assertThat(restored.toBytes()[0]).as("written again as format 3").isEqualTo((byte) 3);
    }

    @Test
    void formatThreeWritesEachPendingDocumentsByteCount() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(8, SEP));
        chunker.append("a", new int[] {7, 8}, 5, 9L);

        byte[] expected = java.nio.ByteBuffer.allocate(1 + 4 + 8 + 4 + 3 * 4 + 4 + 4 + 1 + 8 + 4 + 4 + 8)
                .put((byte) 3).putInt(8).putLong(0)
                .putInt(3).putInt(SEP).putInt(7).putInt(8)
                .putInt(1).putInt(1).put((byte) 'a').putLong(1).putInt(2).putInt(5).putLong(9L)
                .array();
        assertThat(chunker.toBytes()).isEqualTo(expected);
    }

    @Test
    void rejectsStateWithAByteCountBelowTheTokenCount() {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(8, SEP));
        chunker.append("a", new int[] {7, 8}, 2, 9L);
        byte[] bytes = chunker.toBytes();
        int byteCountAt = bytes.length - Long.BYTES - Integer.BYTES;
        java.nio.ByteBuffer.wrap(bytes).putInt(byteCountAt, 1);

        assertThatThrownBy(() -> StreamChunker.fromBytes(bytes, SEP))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("StreamChunker state has byte count 1 for document 'a' of 2 tokens");
    }

    /** A document of two UTF-8 bytes per token, so that a byte count mixed up with the token count shows. */
    private static void append(StreamChunker chunker, String docId, int[] tokens) {
        chunker.append(docId, tokens, 2 * tokens.length, DocSpan.NO_TIMESTAMP);
    }

    /** Mostly short documents, so that separators often fall on a chunk's last slot. */
    private static List<int[]> randomDocuments(Random random, int chunkSize) {
        List<int[]> docs = new ArrayList<>();
        int count = 1 + random.nextInt(25);
        for (int d = 0; d < count; d++) {
            int length = random.nextInt(3) == 0 ? 1 + random.nextInt(3 * chunkSize) : 1 + random.nextInt(3);
            docs.add(random.ints(length, 0, CorpusTokenizer.ORDINARY_TOKEN_COUNT).toArray());
        }
        return docs;
    }

    /** Appends, drains, sometimes flushes (as the timer would) and sometimes round-trips the state. */
    private static List<Chunk> chunkWithRandomTimers(Random random, int chunkSize, List<int[]> docs) {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(chunkSize, SEP));
        List<Chunk> chunks = new ArrayList<>();
        for (int d = 0; d < docs.size(); d++) {
            append(chunker, "doc-" + d, docs.get(d));
            List<Chunk> full = chunker.drainFull();
            full.forEach(c -> assertFullChunkLength(c, chunkSize));
            chunks.addAll(full);
            if (random.nextInt(4) == 0) {
                chunker.flush().ifPresent(chunks::add);
            }
            if (random.nextInt(3) == 0) {
                chunker = StreamChunker.fromBytes(chunker.toBytes(), SEP);
            }
        }
        chunker.flush().ifPresent(chunks::add);
        return chunks;
    }

    private static void assertFullChunkLength(Chunk chunk, int chunkSize) {
        assertThat(chunk.length()).isBetween(chunkSize - 1, chunkSize);
    }

    /** Checks every invariant; returns how many chunks were cut early by the separator rule. */
    private static int checkChunks(List<Chunk> chunks, List<int[]> docs, int chunkSize) {
        int[] expected = separatedSequence(docs); // [positions]
        List<Integer> joined = new ArrayList<>();
        int cuts = 0;
        for (Chunk chunk : chunks) {
            assertThat(chunk.firstPosition()).isEqualTo(joined.size());
            assertThat(chunk.length()).isBetween(1, chunkSize);
            assertThat(chunk.tokens()[chunk.length() - 1]).as("chunk ends on a separator").isNotEqualTo(SEP);
            Arrays.stream(chunk.tokens()).forEach(joined::add);
            checkSpansCoverChunk(chunk, docs);
            boolean cutEarly = chunk.length() == chunkSize - 1 && chunk.endPosition() < expected.length
                    && expected[(int) chunk.endPosition()] == SEP;
            cuts += cutEarly ? 1 : 0;
        }
        assertThat(joined).containsExactlyElementsOf(Arrays.stream(expected).boxed().toList());
        checkEachDocumentCoveredOnce(chunks, docs);
        return cuts;
    }

    private static int[] separatedSequence(List<int[]> docs) {
        List<Integer> sequence = new ArrayList<>();
        for (int[] doc : docs) {
            sequence.add(SEP);
            Arrays.stream(doc).forEach(sequence::add);
        }
        return sequence.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Every chunk row is either a separator or in exactly one span, whose tokens are the document's. */
    private static void checkSpansCoverChunk(Chunk chunk, List<int[]> docs) {
        int[] owners = new int[chunk.length()]; // [n] spans covering each row
        for (DocSpan span : chunk.spans()) {
            int[] doc = docs.get(Integer.parseInt(span.docId().substring(4)));
            int from = span.firstTokenIndexInDoc(chunk.firstPosition());
            assertThat(span.docTokenCount()).isEqualTo(doc.length);
            assertThat(span.docByteCount()).isEqualTo(2 * doc.length);
            int end = span.offsetInChunk() + span.countInChunk();
            assertThat(Arrays.copyOfRange(chunk.tokens(), span.offsetInChunk(), end))
                    .isEqualTo(Arrays.copyOfRange(doc, from, from + span.countInChunk()));
            for (int r = span.offsetInChunk(); r < span.offsetInChunk() + span.countInChunk(); r++) {
                owners[r]++;
            }
        }
        for (int r = 0; r < chunk.length(); r++) {
            assertThat(owners[r]).as("spans covering row %d", r).isEqualTo(chunk.tokens()[r] == SEP ? 0 : 1);
        }
    }

    /** Each document's pieces, in order, are its tokens once; it starts in the first and ends in the last. */
    private static void checkEachDocumentCoveredOnce(List<Chunk> chunks, List<int[]> docs) {
        long sepPosition = 0;
        for (int d = 0; d < docs.size(); d++) {
            long docFirst = sepPosition + 1;
            List<DocSpan> pieces = new ArrayList<>();
            List<Long> pieceStarts = new ArrayList<>();
            for (Chunk chunk : chunks) {
                for (DocSpan span : chunk.spans()) {
                    if (span.docId().equals("doc-" + d)) {
                        pieces.add(span);
                        pieceStarts.add(chunk.firstPosition() + span.offsetInChunk());
                    }
                }
            }
            long next = docFirst;
            for (int p = 0; p < pieces.size(); p++) {
                assertThat(pieces.get(p).docFirstPosition()).isEqualTo(docFirst);
                assertThat(pieceStarts.get(p)).isEqualTo(next);
                assertThat(pieces.get(p).docStartsHere()).isEqualTo(p == 0);
                assertThat(pieces.get(p).docEndsHere()).isEqualTo(p == pieces.size() - 1);
                next += pieces.get(p).countInChunk();
            }
            assertThat(next - docFirst).isEqualTo(docs.get(d).length);
            sepPosition = docFirst + docs.get(d).length;
        }
    }
}
