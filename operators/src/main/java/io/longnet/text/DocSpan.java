package io.longnet.text;

/**
 * The part of one document that lies in one chunk. The separator before a document belongs to no span.
 *
 * @param docId the document's id from the input record
 * @param docFirstPosition stream position of the document's first token (its separator is one before)
 * @param docTokenCount tokens of the whole document
 * @param offsetInChunk chunk row of the first token of this piece
 * @param countInChunk tokens of this piece, at least 1
 * @param docStartsHere whether the document's first token is in this chunk
 * @param docEndsHere whether the document's last token is in this chunk
 */
public record DocSpan(
        String docId,
        long docFirstPosition,
        int docTokenCount,
        int offsetInChunk,
        int countInChunk,
        boolean docStartsHere,
        boolean docEndsHere) {

    public DocSpan {
        if (docId == null) {
            throw new IllegalArgumentException("docId must not be null");
        }
        if (countInChunk < 1 || countInChunk > docTokenCount || offsetInChunk < 0) {
            throw new IllegalArgumentException("span of document '" + docId + "' has offsetInChunk "
                    + offsetInChunk + " and countInChunk " + countInChunk + " for a document of "
                    + docTokenCount + " tokens");
        }
    }

    /** Index within the document of this piece's first token. */
    public int firstTokenIndexInDoc(long chunkFirstPosition) {
        return (int) (chunkFirstPosition + offsetInChunk - docFirstPosition);
    }
}
