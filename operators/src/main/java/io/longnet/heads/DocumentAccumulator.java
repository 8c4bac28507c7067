package io.longnet.heads;

import io.longnet.text.DocSpan;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Running per-document head state while the document's chunks pass: the pooled embedding so far and
 * the NLL sum of its scored tokens. Plain data: the Flink operator keeps it as {@link #toBytes()}.
 *
 * <p>Notation: E = feature width. Rows must be added in stream order (LAST keeps the latest one).
 * A document is finished once it has one feature row per token; every token scored in its chunk
 * adds one NLL (at least the first token is, since the chunker keeps it with its separator).
 *
 * <p>Bits per byte: (sum of the scored tokens' NLL) / ln 2 / (UTF-8 bytes of the scored tokens). Only the
 * document's whole byte count is known, not each token's, so the divisor is exact in two cases: every token was
 * scored (the usual case: a stream's first document too, since its first token is scored from the separator's
 * row at position 0), or the document has one byte per token (always so with the bytes tokenizer), when the
 * scored tokens' bytes are their count. A token is unscored only at a context restart inside the document (a
 * model change with RESTART_STREAMS); then, with multi-byte tokens, its bytes are unknown and bits per byte is NaN
 * (not available) rather than an estimate. So is it when the document's byte count itself is unknown: it was already
 * in the job's state when the job was upgraded from a build that kept no byte counts.
 */
public final class DocumentAccumulator {

    /** v2 adds the document's byte count; v1 is still read (byte count unknown: no bits per byte). */
    private static final byte FORMAT_VERSION = 2;
    private static final byte FORMAT_VERSION_1 = 1;

    private static final double LN_2 = Math.log(2);

    private final String docId;
    private final long firstPosition;
    private final int tokenCount;
    private final int byteCount; // UTF-8 bytes of the whole document, or DocSpan.UNKNOWN_BYTE_COUNT
    private final Pooling pooling;
    private final double[] pooled; // [E]; MEAN: sum of the rows so far, LAST: the latest row
    private int rowCount;
    private double nllSum;
    private int nllCount;

    /**
     * @param byteCount UTF-8 bytes of the document's text as tokenized (at least tokenCount), or
     *     {@link DocSpan#UNKNOWN_BYTE_COUNT}
     */
    public DocumentAccumulator(String docId, long firstPosition, int tokenCount, int byteCount, Pooling pooling,
            int embeddingDim) {
        this(docId, firstPosition, tokenCount, byteCount, pooling, new double[checkDim(embeddingDim)], 0, 0.0, 0);
    }

    private DocumentAccumulator(String docId, long firstPosition, int tokenCount, int byteCount, Pooling pooling,
            double[] pooled, int rowCount, double nllSum, int nllCount) {
        if (docId == null || pooling == null) {
            throw new IllegalArgumentException("docId and pooling must be set, got " + docId + " and " + pooling);
        }
        if (tokenCount < 1 || firstPosition < 0) {
            throw new IllegalArgumentException("document '" + docId + "' must have tokenCount >= 1 and"
                    + " firstPosition >= 0, got " + tokenCount + " and " + firstPosition);
        }
        if (byteCount != DocSpan.UNKNOWN_BYTE_COUNT && byteCount < tokenCount) {
            throw new IllegalArgumentException("document '" + docId + "' of " + tokenCount + " tokens cannot have "
                    + byteCount + " bytes: every token stands for at least one (or " + DocSpan.UNKNOWN_BYTE_COUNT
                    + ": unknown)");
        }
        if (rowCount < 0 || rowCount > tokenCount || nllCount < 0 || nllCount > tokenCount) {
            throw new IllegalArgumentException("document '" + docId + "' of " + tokenCount + " tokens cannot have "
                    + rowCount + " feature rows and " + nllCount + " scored tokens");
        }
        this.docId = docId;
        this.firstPosition = firstPosition;
        this.tokenCount = tokenCount;
        this.byteCount = byteCount;
        this.pooling = pooling;
        this.pooled = pooled;
        this.rowCount = rowCount;
        this.nllSum = nllSum;
        this.nllCount = nllCount;
    }

    private static int checkDim(int embeddingDim) {
        if (embeddingDim < 1) {
            throw new IllegalArgumentException("embedding dimension must be >= 1, got " + embeddingDim);
        }
        return embeddingDim;
    }

    public String docId() {
        return docId;
    }

    public long firstPosition() {
        return firstPosition;
    }

    public int tokenCount() {
        return tokenCount;
    }

    /** UTF-8 bytes of the whole document, or {@link DocSpan#UNKNOWN_BYTE_COUNT}. */
    public int byteCount() {
        return byteCount;
    }

    public int rowCount() {
        return rowCount;
    }

    public int scoredTokenCount() {
        return nllCount;
    }

    /** Whether every token's feature row has been added. */
    public boolean isComplete() {
        return rowCount == tokenCount;
    }

    /** Adds the feature row of the document's next token. */
    public void addFeatureRow(float[] row) { // [E]
        if (row.length != pooled.length) {
            throw new IllegalArgumentException("feature row of document '" + docId + "' has " + row.length
                    + " values, expected embedding dimension " + pooled.length);
        }
        addFeatureRows(row, 0, 1);
    }

    /**
     * Adds rows {@code firstRow .. firstRow + count - 1} of a chunk's features, without copying them.
     *
     * @param features {@code [rows, E]} row-major
     */
    public void addFeatureRows(float[] features, int firstRow, int count) {
        int dim = pooled.length;
        boolean inRange = firstRow >= 0 && count >= 0 && ((long) firstRow + count) * dim <= features.length;
        if (features.length % dim != 0 || !inRange) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + count) + ") of features with "
                    + features.length + " floats and embedding dimension " + dim + " are out of range");
        }
        if (rowCount + count > tokenCount) {
            throw new IllegalArgumentException("document '" + docId + "' has " + tokenCount + " tokens but "
                    + (rowCount + count) + " feature rows were added");
        }
        if (pooling == Pooling.MEAN) {
            for (int r = firstRow; r < firstRow + count; r++) {
                addToSum(features, r * dim);
            }
        } else if (count > 0) {
            copyRow(features, (firstRow + count - 1) * dim); // only the latest row matters
        }
        rowCount += count;
    }

    private void addToSum(float[] features, int offset) {
        for (int e = 0; e < pooled.length; e++) {
            pooled[e] += features[offset + e];
        }
    }

    private void copyRow(float[] features, int offset) {
        for (int e = 0; e < pooled.length; e++) {
            pooled[e] = features[offset + e];
        }
    }

    /**
     * Adds the NLL (nats) of one token of this document. +Infinity is kept (p = 0). NaN marks a token nothing
     * could score (the first of a stream's restarted context): it counts as a row, not as a scored token.
     */
    public void addNll(double nll) {
        if (nll < 0) {
            throw new IllegalArgumentException("nll of document '" + docId + "' must be >= 0, got " + nll);
        }
        if (Double.isNaN(nll)) {
            return;
        }
        if (nllCount == tokenCount) {
            throw new IllegalArgumentException("document '" + docId + "' has " + tokenCount
                    + " tokens but more NLL values were added");
        }
        nllSum += nll;
        nllCount++;
    }

    /** Adds {@code nll[from .. from + count - 1]}, e.g. a span of {@link TokenScorer#nll} output. */
    public void addNll(double[] nll, int from, int count) { // nll: [n]
        for (int i = from; i < from + count; i++) {
            addNll(nll[i]);
        }
    }

    /** The document's result; needs every feature row and at least one scored token. */
    public DocumentResult finish() {
        if (!isComplete()) {
            throw new IllegalStateException("document '" + docId + "' has " + tokenCount + " tokens but only "
                    + rowCount + " feature rows were added");
        }
        if (nllCount == 0) {
            throw new IllegalStateException("document '" + docId + "' has no scored token");
        }
        double meanNll = nllSum / nllCount;
        return new DocumentResult(docId, firstPosition, tokenCount, embedding(), meanNll, Math.exp(meanNll),
                bitsPerByte());
    }

    /** See the class comment: NaN where the scored tokens' bytes are not known exactly. */
    private double bitsPerByte() {
        if (byteCount == DocSpan.UNKNOWN_BYTE_COUNT) {
            return Double.NaN;
        }
        if (nllCount == tokenCount) {
            return nllSum / LN_2 / byteCount;
        }
        // Every token stands for at least one byte, so bytes == tokens means each stands for exactly one.
        return byteCount == tokenCount ? nllSum / LN_2 / nllCount : Double.NaN;
    }

    /**
     * The document's result when predictions are off: every feature row is needed, no scored token;
     * meanNll, perplexity and bitsPerByte are NaN.
     */
    public DocumentResult finishEmbeddingOnly() {
        if (!isComplete()) {
            throw new IllegalStateException("document '" + docId + "' has " + tokenCount + " tokens but only "
                    + rowCount + " feature rows were added");
        }
        return new DocumentResult(docId, firstPosition, tokenCount, embedding(), Double.NaN, Double.NaN,
                Double.NaN);
    }

    private float[] embedding() {
        float[] embedding = new float[pooled.length]; // [E]
        for (int e = 0; e < pooled.length; e++) {
            embedding[e] = (float) (pooling == Pooling.MEAN ? pooled[e] / rowCount : pooled[e]);
        }
        return embedding;
    }

    /**
     * Format v2: version, docId, firstPosition, tokenCount, byteCount, pooling code, E, rows, pooled[E], NLL sum and
     * count. v1 lacks the byte count.
     */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 8 * pooled.length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_VERSION);
            byte[] id = docId.getBytes(StandardCharsets.UTF_8);
            out.writeInt(id.length);
            out.write(id);
            out.writeLong(firstPosition);
            out.writeInt(tokenCount);
            out.writeInt(byteCount);
            out.writeByte(pooling.wireCode());
            out.writeInt(pooled.length);
            out.writeInt(rowCount);
            for (double v : pooled) {
                out.writeDouble(v);
            }
            out.writeDouble(nllSum);
            out.writeInt(nllCount);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static DocumentAccumulator fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            DocumentAccumulator acc = read(in);
            if (in.available() > 0) {
                throw new IllegalArgumentException("document state has " + in.available() + " trailing bytes");
            }
            return acc;
        } catch (IOException e) {
            throw new IllegalArgumentException("document state is truncated or corrupt (" + bytes.length + " bytes)",
                    e);
        }
    }

    private static DocumentAccumulator read(DataInputStream in) throws IOException {
        byte version = in.readByte();
        if (version != FORMAT_VERSION && version != FORMAT_VERSION_1) {
            throw new IllegalArgumentException("document state has format version " + version
                    + ", this code reads versions " + FORMAT_VERSION_1 + " and " + FORMAT_VERSION);
        }
        byte[] id = new byte[checkCount(in, in.readInt(), 1, "docId length")];
        in.readFully(id);
        long firstPosition = in.readLong();
        int tokenCount = in.readInt();
        int byteCount = version == FORMAT_VERSION_1 ? DocSpan.UNKNOWN_BYTE_COUNT : in.readInt();
        Pooling pooling = Pooling.fromWireCode(in.readByte());
        double[] pooled = new double[checkDim(checkCount(in, in.readInt(), Double.BYTES, "embedding dimension"))];
        int rowCount = in.readInt();
        for (int e = 0; e < pooled.length; e++) {
            pooled[e] = in.readDouble();
        }
        double nllSum = in.readDouble();
        int nllCount = in.readInt();
        return new DocumentAccumulator(new String(id, StandardCharsets.UTF_8), firstPosition, tokenCount, byteCount,
                pooling, pooled, rowCount, nllSum, nllCount);
    }

    /** Rejects a count that is negative or larger than the bytes left could hold (corrupt state). */
    private static int checkCount(DataInputStream in, int count, int bytesEach, String what) throws IOException {
        if (count < 0 || (long) count * bytesEach > in.available()) {
            throw new IllegalArgumentException("document state has " + what + " " + count
                    + " with " + in.available() + " bytes left");
        }
        return count;
    }
}
