package io.longnet.heads;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Scores a chunk's tokens from the decoder's logits, and lists the likeliest next tokens.
 *
 * <p>Notation: n = tokens in the chunk, V = logits row length (the model's vocab_size). Row i of the
 * logits predicts token i + 1, so token i (i >= 1) is scored by row i - 1:
 * {@code nll[i] = -log softmax(row[i-1])[token[i]] = logSumExp(row[i-1]) - row[i-1][token[i]]}.
 * Token 0 would need the previous chunk's last row, so it is not scored here.
 *
 * <p>All sums run in double, after subtracting the row maximum, so exp never overflows. Logits
 * may be -Infinity (masked ids); NaN or +Infinity are rejected, since no probability follows from them.
 */
public final class TokenScorer {

    /** One logits row at a time, e.g. a view of a device tensor; rows are V floats, reused or not. */
    @FunctionalInterface
    public interface RowSource {
        float[] row(int i); // [V]
    }

    private TokenScorer() {
    }

    /**
     * Per-token NLL of a chunk from row-major logits.
     *
     * @param logits {@code [n, vocab]} row-major
     * @param tokens {@code [n]}
     * @return {@code [n]}; entry 0 is NaN (scored by the previous chunk's last row)
     */
    public static double[] nll(float[] logits, int vocab, int[] tokens) {
        if (vocab < 1 || (long) tokens.length * vocab != logits.length) {
            throw new IllegalArgumentException("logits has " + logits.length + " floats, expected tokens ("
                    + tokens.length + ") * vocab (" + vocab + ")");
        }
        double[] nll = new double[tokens.length]; // [n]
        nll[0] = Double.NaN;
        for (int i = 1; i < tokens.length; i++) {
            nll[i] = nll(logits, (i - 1) * vocab, vocab, tokens[i], i);
        }
        return nll;
    }

    /** As {@link #nll(float[], int, int[])}, reading rows 0 .. n-2 one at a time. */
    public static double[] nll(RowSource rows, int[] tokens) {
        double[] nll = new double[tokens.length]; // [n]
        nll[0] = Double.NaN;
        for (int i = 1; i < tokens.length; i++) {
            float[] row = rows.row(i - 1); // [V]
            nll[i] = nll(row, 0, row.length, tokens[i], i);
        }
        return nll;
    }

    /** {@code -log softmax(row)[tokenId]} for one row. */
    public static double nll(float[] row, int tokenId) {
        return nll(row, 0, row.length, tokenId, 0);
    }

    private static double nll(float[] data, int offset, int vocab, int tokenId, int chunkRow) {
        if (tokenId < 0 || tokenId >= vocab) {
            throw new IllegalArgumentException("token id " + tokenId + " at chunk row " + chunkRow
                    + " is outside the logits row of " + vocab + " entries");
        }
        double max = rowMax(data, offset, vocab);
        // (max - x) first: exact in double, so large logits (1000 and up) keep full precision.
        return (max - data[offset + tokenId]) + logSumShifted(data, offset, vocab, max);
    }

    /** {@code ln sum_j exp(row[j])}, stable. */
    public static double logSumExp(float[] row) {
        return logSumExp(row, 0, row.length);
    }

    /** {@code ln sum_j exp(data[offset + j])} for j in [0, length), stable. */
    public static double logSumExp(float[] data, int offset, int length) {
        double max = rowMax(data, offset, length);
        return max + logSumShifted(data, offset, length, max);
    }

    /** {@code ln sum_j exp(data[offset + j] - max)}: at least 0, since the max term is exp(0) = 1. */
    private static double logSumShifted(float[] data, int offset, int length, double max) {
        double sum = 0.0;
        for (int j = offset; j < offset + length; j++) {
            sum += Math.exp(data[j] - max);
        }
        return Math.log(sum);
    }

    /** The row maximum; rejects NaN, +Infinity and an all -Infinity row (no distribution follows). */
    private static double rowMax(float[] data, int offset, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("logits row must not be empty");
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int j = offset; j < offset + length; j++) {
            float x = data[j];
            if (Float.isNaN(x) || x == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logits must be finite or -Infinity, got " + x
                        + " at index " + (j - offset) + " of the row");
            }
            max = Math.max(max, x);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("logits row at offset " + offset + " is all -Infinity");
        }
        return max;
    }

    /** The k likeliest tokens of a row, by probability descending, ties by lower id. */
    public static TopToken[] topK(float[] row, int k) {
        return topK(row, 0, row.length, k);
    }

    /**
     * Fast path: one pass keeps the best k in a min-heap of ids (root = worst kept), so it costs
     * O(V log k) with no per-id allocation. Compared with {@link #topKReference} in tests.
     */
    public static TopToken[] topK(float[] data, int offset, int length, int k) {
        checkK(k, length);
        double max = rowMax(data, offset, length);
        double logSum = logSumShifted(data, offset, length, max);
        int[] heap = new int[k]; // [k] token ids
        int size = 0;
        for (int id = 0; id < length; id++) {
            if (size < k) {
                heap[size] = id;
                siftUp(heap, size++, data, offset);
            } else if (worse(heap[0], id, data, offset)) {
                heap[0] = id;
                siftDown(heap, k, data, offset);
            }
        }
        return toTopTokens(heap, data, offset, max, logSum);
    }

    /** Slow, obvious reference: softmax by its definition, sort every id by probability, take k. */
    public static TopToken[] topKReference(float[] row, int k) {
        checkK(k, row.length);
        double max = Double.NEGATIVE_INFINITY;
        for (float x : row) {
            max = Math.max(max, x);
        }
        double denominator = 0.0;
        for (float x : row) {
            denominator += Math.exp(x - max);
        }
        double[] probability = new double[row.length]; // [V]
        Integer[] ids = new Integer[row.length];        // [V]
        for (int id = 0; id < row.length; id++) {
            probability[id] = Math.exp(row[id] - max) / denominator;
            ids[id] = id;
        }
        Arrays.sort(ids, Comparator.<Integer>comparingDouble(id -> -probability[id]).thenComparingInt(id -> id));
        TopToken[] top = new TopToken[k];
        for (int r = 0; r < k; r++) {
            top[r] = new TopToken(ids[r], row[ids[r]], probability[ids[r]]);
        }
        return top;
    }

    private static void checkK(int k, int length) {
        if (k < 1 || k > length) {
            throw new IllegalArgumentException("top-k must be in [1, " + length + "] (the logits row length), got "
                    + k);
        }
    }

    /**
     * Whether id a ranks below id b: smaller logit, or the same logit and a higher id. Softmax is
     * monotone, so this is the probability order. Plain {@code <} and {@code ==} (not Float.compare)
     * so that -0.0 and 0.0, which have equal probabilities, tie and fall back to the id.
     */
    private static boolean worse(int a, int b, float[] data, int offset) {
        float x = data[offset + a];
        float y = data[offset + b];
        return x < y || (x == y && a > b);
    }

    private static void siftUp(int[] heap, int i, float[] data, int offset) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!worse(heap[i], heap[parent], data, offset)) {
                return;
            }
            swap(heap, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] heap, int size, float[] data, int offset) {
        int i = 0;
        while (true) {
            int worst = i;
            for (int child = 2 * i + 1; child <= 2 * i + 2 && child < size; child++) {
                if (worse(heap[child], heap[worst], data, offset)) {
                    worst = child;
                }
            }
            if (worst == i) {
                return;
            }
            swap(heap, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] heap, int i, int j) {
        int t = heap[i];
        heap[i] = heap[j];
        heap[j] = t;
    }

    /** Orders the kept ids best first and attaches probabilities exp((logit - max) - logSum). */
    private static TopToken[] toTopTokens(int[] heap, float[] data, int offset, double max, double logSum) {
        TopToken[] top = new TopToken[heap.length];
        for (int r = 0; r < heap.length; r++) {
            float logit = data[offset + heap[r]];
            top[r] = new TopToken(heap[r], logit, Math.exp((logit - max) - logSum));
        }
        Arrays.sort(top, TokenScorer::bestFirst);
        return top;
    }

    /** Best first, by the same order as {@link #worse}. */
    private static int bestFirst(TopToken a, TopToken b) {
        if (a.logit() != b.logit()) {
            return a.logit() > b.logit() ? -1 : 1;
        }
        return Integer.compare(a.tokenId(), b.tokenId());
    }
}
