package io.longnet.text;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One stream's token sequence {@code SEP d1 SEP d2 SEP d3 ...}, cut into chunks for the decoder.
 * Plain data: the Flink operator keeps it as {@link #toBytes()} in keyed state.
 *
 * <p>Notation: C = chunk-size; positions are stream positions (long, 0-based); the pending tokens
 * are positions [nextChunkPosition, endPosition).
 *
 * <p>Cut rule: a chunk never ends with a separator, because the row of the separator is what scores
 * the document's first token, and that row must be in the same chunk as the token. Since documents
 * are never empty, the token after a separator is always its document's first token, so when the
 * C-th pending token is a separator the chunk is cut one token earlier (C - 1 tokens).
 */
public final class StreamChunker {

    /**
     * v3 adds each pending document's UTF-8 byte count, v2 its source timestamp. v2 and v1 are still read: their
     * documents' byte counts are unknown ({@link DocSpan#UNKNOWN_BYTE_COUNT}: no bits per byte), v1's timestamps too.
     */
    private static final byte FORMAT_VERSION = 3;
    private static final byte FORMAT_VERSION_2 = 2;
    private static final byte FORMAT_VERSION_1 = 1;

    private final ChunkerConfig config;
    private long nextChunkPosition;            // position of pending[0]
    private int[] pending;                     // [capacity]; the first pendingCount entries are live
    private int pendingCount;
    private final List<PendingDoc> docs;       // documents with tokens not yet in a chunk, in order

    /** A document with at least one token not yet emitted; its separator is at firstPosition - 1. */
    private record PendingDoc(String docId, long firstPosition, int tokenCount, int byteCount, long sourceTimestamp) {
        long endPosition() {
            return firstPosition + tokenCount;
        }
    }

    /** A new stream: nothing appended, the first separator will be position 0. */
    public StreamChunker(ChunkerConfig config) {
        this(config, 0L, new int[16], 0, new ArrayList<>());
    }

    private StreamChunker(ChunkerConfig config, long nextChunkPosition, int[] pending, int pendingCount,
            List<PendingDoc> docs) {
        if (config == null) {
            throw new IllegalArgumentException("chunker config must be set");
        }
        this.config = config;
        this.nextChunkPosition = nextChunkPosition;
        this.pending = pending;
        this.pendingCount = pendingCount;
        this.docs = docs;
    }

    public ChunkerConfig config() {
        return config;
    }

    /** Position of the first token not yet emitted in a chunk. */
    public long nextChunkPosition() {
        return nextChunkPosition;
    }

    /** Position the next appended token (the next separator) will get. */
    public long endPosition() {
        return nextChunkPosition + pendingCount;
    }

    public int pendingTokenCount() {
        return pendingCount;
    }

    /**
     * Appends {@code SEP docTokens}. The tokens must be ordinary ids (never the separator). {@code docByteCount} (the
     * UTF-8 bytes the tokens stand for, at least one per token) and {@code sourceTimestamp} (the document's Kafka
     * record timestamp, or {@link DocSpan#NO_TIMESTAMP}) go with every span of it.
     */
    public void append(String docId, int[] docTokens, int docByteCount, long sourceTimestamp) {
        checkDocument(docId, docTokens, docByteCount);
        long docFirstPosition = endPosition() + 1;
        ensureCapacity(pendingCount + 1 + docTokens.length);
        pending[pendingCount++] = config.separatorId();
        System.arraycopy(docTokens, 0, pending, pendingCount, docTokens.length);
        pendingCount += docTokens.length;
        docs.add(new PendingDoc(docId, docFirstPosition, docTokens.length, docByteCount, sourceTimestamp));
    }

    /** Emits chunks of C tokens (C - 1 where the cut rule applies) while at least C tokens are pending. */
    public List<Chunk> drainFull() {
        List<Chunk> chunks = new ArrayList<>();
        int consumed = 0;
        while (pendingCount - consumed >= config.maxChunkTokens()) {
            Chunk chunk = cut(consumed, fullChunkLength(consumed));
            chunks.add(chunk);
            consumed += chunk.length();
        }
        discard(consumed);
        return chunks;
    }

    /**
     * Emits every pending token as one chunk (the latency timer's path). Call {@link #drainFull()}
     * after each append, so that fewer than C tokens are pending here. The pending tokens always end
     * with a document token, so the cut rule holds.
     */
    public Optional<Chunk> flush() {
        if (pendingCount == 0) {
            return Optional.empty();
        }
        if (pendingCount > config.maxChunkTokens()) {
            throw new IllegalStateException("flush with " + pendingCount + " pending tokens > chunk-size "
                    + config.maxChunkTokens() + ": call drainFull() after append()");
        }
        Chunk chunk = cut(0, pendingCount);
        discard(pendingCount);
        return Optional.of(chunk);
    }

    /**
     * Emits every pending token: full chunks as {@link #drainFull()} cuts them, then the rest as one short
     * chunk. The latency timer's path; unlike {@link #flush()} it also holds when more than C tokens are
     * pending, as after a restore with a smaller chunk-size.
     */
    public List<Chunk> drainAll() {
        List<Chunk> chunks = drainFull();
        flush().ifPresent(chunks::add);
        return chunks;
    }

    private void checkDocument(String docId, int[] docTokens, int docByteCount) {
        if (docId == null) {
            throw new IllegalArgumentException("docId must not be null");
        }
        if (docTokens == null || docTokens.length == 0) {
            throw new IllegalArgumentException("document '" + docId + "' has no tokens; empty documents"
                    + " must be rejected before chunking");
        }
        for (int i = 0; i < docTokens.length; i++) {
            if (docTokens[i] < 0 || docTokens[i] == config.separatorId()) {
                throw new IllegalArgumentException("document '" + docId + "' token " + i + " has id "
                        + docTokens[i] + "; document tokens must be ordinary ids (encode as ordinary text)");
            }
        }
        if (docByteCount < docTokens.length) {
            throw new IllegalArgumentException("document '" + docId + "' has " + docTokens.length + " tokens but a"
                    + " byte count of " + docByteCount + "; every ordinary token stands for at least one UTF-8 byte");
        }
    }

    /** C, or C - 1 when the C-th token from {@code start} is a separator. */
    private int fullChunkLength(int start) {
        int length = config.maxChunkTokens();
        return pending[start + length - 1] == config.separatorId() ? length - 1 : length;
    }

    /** The chunk of pending[start, start + length), with the document pieces it holds. */
    private Chunk cut(int start, int length) {
        long first = nextChunkPosition + start;
        long end = first + length;
        List<DocSpan> spans = new ArrayList<>();
        for (PendingDoc doc : docs) {
            if (doc.firstPosition() >= end) {
                break;
            }
            long lo = Math.max(doc.firstPosition(), first);
            long hi = Math.min(doc.endPosition(), end);
            if (lo < hi) {
                spans.add(new DocSpan(doc.docId(), doc.firstPosition(), doc.tokenCount(), doc.byteCount(),
                        (int) (lo - first), (int) (hi - lo), doc.firstPosition() >= first, doc.endPosition() <= end,
                        doc.sourceTimestamp()));
            }
        }
        return new Chunk(first, Arrays.copyOfRange(pending, start, start + length), spans);
    }

    /** Drops the first {@code count} pending tokens and the documents now fully emitted. */
    private void discard(int count) {
        int remaining = pendingCount - count;
        // Give back the room a very long document needed; keep enough for a chunk plus a document.
        int[] target = pending.length > 4 * (remaining + config.maxChunkTokens()) + 64
                ? new int[2 * (remaining + config.maxChunkTokens())]
                : pending;
        System.arraycopy(pending, count, target, 0, remaining);
        pending = target;
        pendingCount = remaining;
        nextChunkPosition += count;
        docs.removeIf(doc -> doc.endPosition() <= nextChunkPosition);
    }

    private void ensureCapacity(int needed) {
        if (needed > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(needed, 2 * pending.length));
        }
    }

    /**
     * Format v3: version, chunk-size, nextChunkPosition, pending tokens, pending documents (id, first position,
     * token count, byte count, source timestamp). v2 lacks the byte counts, v1 the byte counts and the timestamps.
     */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + 4 * pendingCount + 32 * docs.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_VERSION);
            out.writeInt(config.maxChunkTokens());
            out.writeLong(nextChunkPosition);
            out.writeInt(pendingCount);
            for (int i = 0; i < pendingCount; i++) {
                out.writeInt(pending[i]);
            }
            out.writeInt(docs.size());
            for (PendingDoc doc : docs) {
                writeString(out, doc.docId());
                out.writeLong(doc.firstPosition());
                out.writeInt(doc.tokenCount());
                out.writeInt(doc.byteCount());
                out.writeLong(doc.sourceTimestamp());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Restores a chunker with the chunk-size it was saved with. The separator is not saved: a stream's tokens
     * are only valid for the tokenizer that made them, and the encoder refuses another model's stream anyway.
     */
    public static StreamChunker fromBytes(byte[] bytes, int separatorId) {
        return fromBytes(bytes, null, separatorId);
    }

    /**
     * Restores a chunker with {@code config}, whose chunk-size replaces the saved one (the pending
     * tokens are simply cut by the new size from here on).
     */
    public static StreamChunker fromBytes(byte[] bytes, ChunkerConfig config) {
        return fromBytes(bytes, config, config.separatorId());
    }

    private static StreamChunker fromBytes(byte[] bytes, ChunkerConfig config, int separatorId) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            StreamChunker chunker = read(in, config, separatorId);
            if (in.available() > 0) {
                throw new IllegalArgumentException("StreamChunker state has " + in.available() + " trailing bytes");
            }
            return chunker;
        } catch (IOException e) {
            throw new IllegalArgumentException("StreamChunker state is truncated or corrupt (" + bytes.length
                    + " bytes)", e);
        }
    }

    private static StreamChunker read(DataInputStream in, ChunkerConfig override, int separatorId)
            throws IOException {
        byte version = in.readByte();
        if (version < FORMAT_VERSION_1 || version > FORMAT_VERSION) {
            throw new IllegalArgumentException("StreamChunker state has format version " + version
                    + ", this code reads versions " + FORMAT_VERSION_1 + " to " + FORMAT_VERSION);
        }
        ChunkerConfig saved = new ChunkerConfig(in.readInt(), separatorId);
        long nextChunkPosition = in.readLong();
        int pendingCount = checkCount(in, in.readInt(), Integer.BYTES, "pending token count");
        int[] pending = new int[Math.max(16, pendingCount)];
        for (int i = 0; i < pendingCount; i++) {
            pending[i] = in.readInt();
        }
        int docCount = checkCount(in, in.readInt(), 1, "pending document count");
        List<PendingDoc> docs = new ArrayList<>(docCount);
        for (int i = 0; i < docCount; i++) {
            String docId = readString(in);
            long firstPosition = in.readLong();
            int tokenCount = in.readInt();
            int byteCount = version >= FORMAT_VERSION ? checkByteCount(in.readInt(), tokenCount, docId)
                    : DocSpan.UNKNOWN_BYTE_COUNT;
            long sourceTimestamp = version >= FORMAT_VERSION_2 ? in.readLong() : DocSpan.NO_TIMESTAMP;
            docs.add(new PendingDoc(docId, firstPosition, tokenCount, byteCount, sourceTimestamp));
        }
        checkConsistent(nextChunkPosition, pendingCount, docs);
        return new StreamChunker(override != null ? override : saved, nextChunkPosition, pending, pendingCount, docs);
    }

    /** The pending tokens must end exactly where the last pending document ends. */
    private static void checkConsistent(long nextChunkPosition, int pendingCount, List<PendingDoc> docs) {
        long end = nextChunkPosition + pendingCount;
        long docsEnd = docs.isEmpty() ? nextChunkPosition : docs.get(docs.size() - 1).endPosition();
        if (nextChunkPosition < 0 || docsEnd != end) {
            throw new IllegalArgumentException("StreamChunker state is inconsistent: pending tokens end at "
                    + end + " but pending documents end at " + docsEnd);
        }
    }

    /** A document's byte count is at least its token count (corrupt state otherwise). */
    private static int checkByteCount(int byteCount, int tokenCount, String docId) {
        if (byteCount < tokenCount) {
            throw new IllegalArgumentException("StreamChunker state has byte count " + byteCount + " for document '"
                    + docId + "' of " + tokenCount + " tokens");
        }
        return byteCount;
    }

    /** Rejects a count that is negative or larger than the bytes left could hold (corrupt state). */
    private static int checkCount(DataInputStream in, int count, int bytesEach, String what) throws IOException {
        if (count < 0 || (long) count * bytesEach > in.available()) {
            throw new IllegalArgumentException("StreamChunker state has " + what + " " + count
                    + " with " + in.available() + " bytes left");
        }
        return count;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] utf8 = new byte[checkCount(in, in.readInt(), 1, "docId length")];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
