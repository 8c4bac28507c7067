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
 */
public record DocumentResult(
        String docId, long firstPosition, int tokenCount, float[] embedding, double meanNll, double perplexity) {

    // Records compare arrays by reference; a result is a value, so compare the embedding contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof DocumentResult other
                && docId.equals(other.docId)
                && firstPosition == other.firstPosition
                && tokenCount == other.tokenCount
                && Arrays.equals(embedding, other.embedding)
                && Double.compare(meanNll, other.meanNll) == 0
                && Double.compare(perplexity, other.perplexity) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(docId, firstPosition, tokenCount, Arrays.hashCode(embedding), meanNll, perplexity);
    }

    @Override
    public String toString() {
        return "DocumentResult[docId=" + docId + ", firstPosition=" + firstPosition + ", tokenCount=" + tokenCount
                + ", embedding=" + Arrays.toString(embedding) + ", meanNll=" + meanNll
                + ", perplexity=" + perplexity + "]";
    }
}
