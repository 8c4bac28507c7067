package io.longnet.train;

import io.longnet.attention.AttentionState;
import io.longnet.model.ModelWeights;

/**
 * The mean next-token cross-entropy of a batch of token sequences and its exact gradient with respect to every
 * trainable parameter: what {@code longnet grad} writes. Each sequence is one stream from position 0, fed in
 * chunks as the job feeds it (a chunk of the whole sequence, or shorter chunks whose earlier kept rows enter as
 * constants); the loss is the mean over every sequence's positions 0..N-2 of -log p(token[t + 1]).
 */
public final class BatchGradient {

    /** @param loss mean cross-entropy, nats; grads by torchscale parameter name (tied weights once) */
    public record Result(double loss, Parameters grads) {
    }

    private BatchGradient() {
    }

    /**
     * @param tokens [batch][N] token ids, N >= 2 for every sequence
     * @param chunk  tokens per chunk; 0 for the whole sequence in one chunk
     */
    public static Result compute(ModelWeights weights, int[][] tokens, int chunk) {
        long targets = 0;
        for (int[] sequence : tokens) {
            if (sequence.length < 2) {
                throw new IllegalArgumentException("every sequence needs at least 2 tokens (a token and its next),"
                        + " got one of " + sequence.length);
            }
            targets += sequence.length - 1;
        }
        Parameters params = Parameters.of(weights);
        Parameters grads = Parameters.zerosLike(params);
        TrainingDecoder decoder = new TrainingDecoder(params, grads);
        double lossSum = 0;
        for (int[] sequence : tokens) {
            lossSum += stream(decoder, sequence, chunk, 1.0 / targets);
        }
        decoder.downloadGradients();
        return new Result(lossSum / targets, grads);
    }

    /** One sequence as one stream, chunk by chunk; returns the sum of its cross-entropies. */
    static double stream(TrainingDecoder decoder, int[] sequence, int chunk, double lossScale) {
        int size = chunk <= 0 ? sequence.length : chunk;
        AttentionState[] states = decoder.newStreamState();
        double sum = 0;
        for (int from = 0; from < sequence.length; from += size) {
            int to = Math.min(sequence.length, from + size);
            int[] tokens = java.util.Arrays.copyOfRange(sequence, from, to);
            int[] next = new int[to - from];
            for (int p = from; p < to; p++) {
                next[p - from] = p + 1 < sequence.length ? sequence[p + 1] : -1;
            }
            sum += decoder.step(tokens, next, from, states, lossScale).sum();
        }
        return sum;
    }
}
