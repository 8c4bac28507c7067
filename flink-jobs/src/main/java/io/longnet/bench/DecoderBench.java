package io.longnet.bench;

import io.longnet.attention.AttentionFlops;
import io.longnet.decoder.DecoderState;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelInit;
import java.util.Arrays;
import java.util.Random;

/**
 * Times the streaming decoder of one model over positions [0, tokens) in chunks, and counts its model FLOPs
 * (every matmul of the forward pass: projections, feed-forward, attention's useful 4 D per visible key, and
 * the output projection when logits are on).
 */
public final class DecoderBench {

    /**
     * Seconds per chunk of one stream from position 0, the FLOPs of those chunks, and the seconds of one layer's
     * attention-kernel calls alone on the same chunks, each timed right after its chunk (so both see the same
     * machine load).
     */
    public record Run(double[] chunkSeconds, double[] chunkFlops, double[] kernelSecondsPerLayer) {
        public double seconds() {
            return Arrays.stream(chunkSeconds).sum();
        }

        public double flops() {
            return Arrays.stream(chunkFlops).sum();
        }

        public double tokensPerSecond(int tokens) {
            return tokens / seconds();
        }

        public double gflops() {
            return flops() / seconds() / 1e9;
        }

        /** Share of the decoder's time in the attention kernel: layers x one layer's kernel time / decoder time. */
        public double kernelShare(int layers) {
            return layers * Arrays.stream(kernelSecondsPerLayer).sum() / seconds();
        }
    }

    private final ModelConfig config;
    private final LongNetDecoder decoder;
    private final int[] ids; // [tokens]
    private final int chunk;
    private final double logitsReserveSeconds;

    public DecoderBench(ModelConfig config, int tokens, int chunk) {
        this.config = config;
        this.decoder = new LongNetDecoder(ModelInit.random(config, 1));
        this.ids = new Random(2).ints(tokens, 0, config.vocabSize()).toArray();
        this.chunk = chunk;
        long start = System.nanoTime();
        decoder.reserveLogits(chunk);
        this.logitsReserveSeconds = (System.nanoTime() - start) / 1e9;
    }

    /** Seconds that reserving the logits buffer for one chunk took at load (fresh memory faulted in). */
    public double logitsReserveSeconds() {
        return logitsReserveSeconds;
    }

    public ModelConfig config() {
        return config;
    }

    /** One stream over every chunk from position 0 on a fresh state. */
    public Run stream(boolean logits) {
        return stream(logits, ids.length);
    }

    /** The first chunk only: in a fresh process its time includes the warm-up. */
    public double firstChunkSeconds(boolean logits) {
        return stream(logits, Math.min(chunk, ids.length)).seconds();
    }

    private Run stream(boolean logits, int tokens) {
        DecoderState state = decoder.newState();
        AttentionBench.Stream kernel = new AttentionBench(config.schedule(), config.heads(), config.headDim()).stream();
        int chunks = (tokens + chunk - 1) / chunk;
        double[] seconds = new double[chunks];
        double[] flops = new double[chunks];
        double[] kernelSeconds = new double[chunks];
        for (int i = 0; i < chunks; i++) {
            int from = i * chunk;
            int[] part = Arrays.copyOfRange(ids, from, Math.min(tokens, from + chunk));
            long start = System.nanoTime();
            decoder.forward(part, state, logits);
            seconds[i] = (System.nanoTime() - start) / 1e9;
            flops[i] = modelFlops(config, from, part.length, logits);
            kernelSeconds[i] = kernel.next(part.length);
        }
        return new Run(seconds, flops, kernelSeconds);
    }

    /** Matmul FLOPs of the model over positions [first, first + n): projections, FFN, attention, logits if on. */
    public static double modelFlops(ModelConfig c, long first, int n, boolean logits) {
        double e = c.embedDim();
        double perToken = c.layers() * 2 * (4 * e * e + 2 * e * c.ffnDim()) + (logits ? 2 * e * c.vocabSize() : 0);
        double attention = c.layers() * AttentionFlops.count(c.schedule(), c.heads(), c.headDim(), first, n);
        return perToken * n + attention;
    }
}
