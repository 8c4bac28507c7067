package io.longnet.bench;

import io.longnet.attention.AttentionFlops;
import io.longnet.attention.AttentionState;
import io.longnet.attention.DilatedAttention;
import io.longnet.model.DilationSchedule;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Times the dilated-attention kernel alone, through its public API ({@link DilatedAttention#attend}), on random
 * projected q, k, v. Notation: n tokens, E = H D.
 */
public final class AttentionBench {

    private final DilationSchedule schedule;
    private final int heads;
    private final int headDim;
    private final DilatedAttention attention;

    public AttentionBench(DilationSchedule schedule, int heads, int headDim) {
        this.schedule = schedule;
        this.heads = heads;
        this.headDim = headDim;
        this.attention = new DilatedAttention(schedule, heads, headDim, null);
    }

    /** Seconds for positions [0, n) in one call on a fresh state, after a short warm-up call. */
    public double onePassSeconds(int n) {
        float[] qkv = randomQkv(n, 1);                          // [n, 3E]
        int warm = Math.min(n, 2048);
        attention.attend(Arrays.copyOf(qkv, warm * 3 * heads * headDim), warm, 0, attention.newState());
        long start = System.nanoTime();
        attention.attend(qkv, n, 0, attention.newState());
        return (System.nanoTime() - start) / 1e9;
    }

    /** One layer's kernel calls of a stream from position 0, chunk by chunk, as the streaming decoder makes them. */
    public final class Stream {
        private final AttentionState state = attention.newState();
        private long position;

        /** Seconds for the next n positions. */
        public double next(int n) {
            float[] qkv = randomQkv(n, position); // [n, 3E]
            long start = System.nanoTime();
            attention.attend(qkv, n, position, state);
            position += n;
            return (System.nanoTime() - start) / 1e9;
        }
    }

    public Stream stream() {
        return new Stream();
    }

    /** Useful FLOPs for positions [0, n). */
    public double flops(int n) {
        return AttentionFlops.count(schedule, heads, headDim, 0, n);
    }

    private float[] randomQkv(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] qkv = new float[n * 3 * heads * headDim]; // [n, 3E]
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return qkv;
    }
}
