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
    }

    private final LongNetDecoder decoder;
    private final int chunk;

    public FlatCostBench(ModelConfig config, int chunk) {
        this.decoder = new LongNetDecoder(ModelInit.random(config, 3));
        this.chunk = chunk;
    }

    /** One untimed window first (warm-up), then {@code windows} timed ones from each start. */
    public Result run(int windows) {
        int wMax = decoder.config().schedule().segmentLengths().stream().mapToInt(Integer::intValue).max()
                .orElseThrow();
        int window = 2 * wMax;
        int[] ids = new Random(4).ints(window, 0, decoder.config().vocabSize()).toArray(); // [window]
        windows(decoder.newStateAt(0), ids, 1);
        return new Result(window, windows(decoder.newStateAt(0), ids, windows),
                windows(decoder.newStateAt(FAR), ids, windows));
    }

    private double[] windows(DecoderState state, int[] ids, int count) {
        double[] tokensPerSecond = new double[count];
        for (int w = 0; w < count; w++) {
            long start = System.nanoTime();
            for (int from = 0; from < ids.length; from += chunk) {
                decoder.forward(Arrays.copyOfRange(ids, from, Math.min(ids.length, from + chunk)), state, false);
            }
            tokensPerSecond[w] = ids.length / ((System.nanoTime() - start) / 1e9);
        }
        return tokensPerSecond;
    }
}
