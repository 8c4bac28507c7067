package io.longnet.heads;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the heads produce for one finished document.
 *
 * @param docId the document's id
 * @param firstPosition stream position of the document's first token
 * @param tokenCount tokens in the document
 * @param embedding pooled feature rows, {@code [E]}
 * @param meanNll mean over the scored tokens of -ln p(token | everything before it), in nats
 * @param perplexity exp(meanNll)
 * @param bitsPerByte sum over the scored tokens of -log2 p(token | everything before it), divided by their UTF-8
 *     bytes; NaN where those bytes are not known exactly (see {@link DocumentAccumulator})
 */
public record DocumentResult(String docId, long firstPosition, int tokenCount, float[] embedding, double meanNll,
        double perplexity, double bitsPerByte) {

    // Records compare arrays by reference; a result is a value, so compare the embedding contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof DocumentResult other
                && docId.equals(other.docId)
                && firstPosition == other.firstPosition
                && tokenCount == other.tokenCount
                && Arrays.equals(embedding, other.embedding)
                && Double.compare(meanNll, other.meanNll) == 0
                && Double.compare(perplexity, other.perplexity) == 0
                && Double.compare(bitsPerByte, other.bitsPerByte) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(docId, firstPosition, tokenCount, Arrays.hashCode(embedding), meanNll, perplexity,
                bitsPerByte);
    }

    @Override
    public String toString() {
        return "DocumentResult[docId=" + docId + ", firstPosition=" + firstPosition + ", tokenCount=" + tokenCount
                + ", embedding=" + Arrays.toString(embedding) + ", meanNll=" + meanNll
                + ", perplexity=" + perplexity + ", bitsPerByte=" + bitsPerByte + "]";
    }
}
