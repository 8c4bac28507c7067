package io.longnet.text;

import java.util.Arrays;
import java.util.List;

/**
 * A run of consecutive stream tokens handed to the decoder as one unit.
 *
 * @param firstPosition stream position of {@code tokens[0]}; row i is position firstPosition + i
 * @param tokens the token ids, {@code [n]} with 1 <= n <= chunk-size; not copied, do not modify
 * @param spans the document pieces in this chunk, in stream order
 */
public record Chunk(long firstPosition, int[] tokens, List<DocSpan> spans) {

    public Chunk {
        if (firstPosition < 0) {
            throw new IllegalArgumentException("chunk firstPosition must be >= 0, got " + firstPosition);
        }
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("a chunk must hold at least one token");
        }
        spans = List.copyOf(spans);
    }

    public int length() {
        return tokens.length;
    }

    /** Position one past the last token. */
    public long endPosition() {
        return firstPosition + tokens.length;
    }

    // Records compare arrays by reference; a chunk is a value, so compare the token contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof Chunk other
                && firstPosition == other.firstPosition
                && Arrays.equals(tokens, other.tokens)
                && spans.equals(other.spans);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Long.hashCode(firstPosition) + Arrays.hashCode(tokens)) + spans.hashCode();
    }

    @Override
    public String toString() {
        return "Chunk[firstPosition=" + firstPosition + ", tokens=" + Arrays.toString(tokens)
                + ", spans=" + spans + "]";
    }
}
