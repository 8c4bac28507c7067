package io.longnet.bench;

import io.longnet.decoder.DecoderState;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelInit;
import java.util.Arrays;
import java.util.Random;

/**
 * Flat cost, shown: tokens/s of the streaming decoder in consecutive windows of 2 w_max tokens from position 0,
 * and in as many windows from position 2^40 (a multiple of every w, where a stream can start empty). Each
 * window holds two whole cycles of every branch's segments, so with linear cost every window costs the same.
 */
public final class FlatCostBench {

    public static final long FAR = 1L << 40;
    static final int WARM_UP_WINDOWS = 8;

    /** tokens/s per window, from 0 and from {@link #FAR}. */
    public record Result(int windowTokens, double[] fromZero, double[] fromFar) {
        /** Slowest window's tokens/s over the fastest's, over both starts: 1 is perfectly flat. */
        public double spread() {
            double min = Double.MAX_VALUE;
            double max = 0;
            for (double[] side : new double[][] {fromZero, fromFar}) {
                for (double v : side) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            return min / max;
        }

        /** Mean tokens/s from 2^40 over the mean from 0: 1 is the same cost far along the stream. */
        public double farOverZero() {
            return Arrays.stream(fromFar).average().orElseThrow() / Arrays.stream(fromZero).average().orElseThrow();
        }
    }

    private final LongNetDecoder decoder;
    private final int chunk;

    public FlatCostBench(ModelConfig config, int chunk) {
        this.decoder = new LongNetDecoder(ModelInit.random(config, 3));
        this.chunk = chunk;
    }

    /**
     * {@link #WARM_UP_WINDOWS} untimed windows first (the JIT's optimising compiler needs a few seconds), then {@code repeats} runs of {@code windows} timed windows from each
     * start on fresh streams, the two streams taking turns window by window so that both see the same machine
     * load. Each window's figure is its best over the runs: on a shared machine the noise only ever slows a
     * window down, so the best of a few runs is the closest to the cost itself.
     */
    public Result run(int windows, int repeats) {
        int wMax = decoder.config().schedule().segmentLengths().stream().mapToInt(Integer::intValue).max()
                .orElseThrow();
        int window = 2 * wMax;
        int[] ids = new Random(4).ints(window, 0, decoder.config().vocabSize()).toArray(); // [window]
        DecoderState warmUp = decoder.newStateAt(0);
        for (int w = 0; w < WARM_UP_WINDOWS; w++) {
            window(warmUp, ids);
        }
        double[] zero = new double[windows];
        double[] far = new double[windows];
        for (int run = 0; run < repeats; run++) {
            DecoderState fromZero = decoder.newStateAt(0);
            DecoderState fromFar = decoder.newStateAt(FAR);
            for (int w = 0; w < windows; w++) {
                zero[w] = Math.max(zero[w], window(fromZero, ids));
                far[w] = Math.max(far[w], window(fromFar, ids));
            }
        }
        return new Result(window, zero, far);
    }

    /** tokens/s of one window, in chunks. */
    private double window(DecoderState state, int[] ids) {
        long start = System.nanoTime();
        for (int from = 0; from < ids.length; from += chunk) {
            decoder.forward(Arrays.copyOfRange(ids, from, Math.min(ids.length, from + chunk)), state, false);
        }
        return ids.length / ((System.nanoTime() - start) / 1e9);
    }
}
