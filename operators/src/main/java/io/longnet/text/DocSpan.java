package io.longnet.text;

/**
 * The part of one document that lies in one chunk. The separator before a document belongs to no span.
 * The source timestamp only serves the latency metric: it is part of no output.
 *
 * @param docId the document's id from the input record
 * @param docFirstPosition stream position of the document's first token (its separator is one before)
 * @param docTokenCount tokens of the whole document
 * @param docByteCount UTF-8 bytes of the whole document's text as tokenized (separator excluded; every document token
 *     stands for at least one byte, so at least docTokenCount), or {@link #UNKNOWN_BYTE_COUNT}: what its bits per byte
 *     divide by
 * @param offsetInChunk chunk row of the first token of this piece
 * @param countInChunk tokens of this piece, at least 1
 * @param docStartsHere whether the document's first token is in this chunk
 * @param docEndsHere whether the document's last token is in this chunk
 * @param sourceTimestamp the document's Kafka record timestamp (epoch ms), or {@link #NO_TIMESTAMP}: where the
 *     heads measure its output latency from
 */
public record DocSpan(
        String docId,
        long docFirstPosition,
        int docTokenCount,
        int docByteCount,
        int offsetInChunk,
        int countInChunk,
        boolean docStartsHere,
        boolean docEndsHere,
        long sourceTimestamp) {

    /** No record timestamp known (Kafka's NO_TIMESTAMP; state written before timestamps were kept). */
    public static final long NO_TIMESTAMP = -1;

    /** No byte count known (a document pending in chunker state written before byte counts were kept). */
    public static final int UNKNOWN_BYTE_COUNT = -1;

    public DocSpan {
        if (docId == null) {
            throw new IllegalArgumentException("docId must not be null");
        }
        if (countInChunk < 1 || countInChunk > docTokenCount || offsetInChunk < 0) {
            throw new IllegalArgumentException("span of document '" + docId + "' has offsetInChunk "
                    + offsetInChunk + " and countInChunk " + countInChunk + " for a document of "
                    + docTokenCount + " tokens");
        }
        if (docByteCount != UNKNOWN_BYTE_COUNT && docByteCount < docTokenCount) {
            throw new IllegalArgumentException("document '" + docId + "' has docByteCount " + docByteCount
                    + " for " + docTokenCount + " tokens; every token stands for at least one byte (or "
                    + UNKNOWN_BYTE_COUNT + ": unknown)");
        }
    }

    /** A span without a source timestamp. */
    public DocSpan(String docId, long docFirstPosition, int docTokenCount, int docByteCount, int offsetInChunk,
            int countInChunk, boolean docStartsHere, boolean docEndsHere) {
        this(docId, docFirstPosition, docTokenCount, docByteCount, offsetInChunk, countInChunk, docStartsHere,
                docEndsHere, NO_TIMESTAMP);
    }

    /** Index within the document of this piece's first token. */
    public int firstTokenIndexInDoc(long chunkFirstPosition) {
        return (int) (chunkFirstPosition + offsetInChunk - docFirstPosition);
    }
}
