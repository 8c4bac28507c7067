package io.longnet.bench;

import io.longnet.attention.AttentionFlops;
import io.longnet.attention.AttentionState;
import io.longnet.attention.DilatedAttention;
import io.longnet.attention.DilatedAttentionGrad;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelInit;
import io.longnet.train.Parameters;
import io.longnet.train.TrainingDecoder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Training throughput of the decoder on one stream: chunks of random tokens from position 0 through forward and
 * backward, after one warm-up chunk; and the dilated attention's forward and backward alone on the same shapes
 * (its share of the step). Model FLOPs of training: 3 x (the forward's matmul FLOPs + attention's 4 D per visible
 * (query, key) pair), logits included. Also the bytes of one chunk's activations.
 */
public final class TrainBench {

    /** tokens/s, model GFLOP/s and the attention's share of the time. */
    public record Result(double tokensPerSecond, double gflops, double attentionShare, double attentionGflops,
                         long workspaceBytes) {
    }

    private TrainBench() {
    }

    public static Result run(ModelConfig c, int chunk, int chunks) {
        Parameters weights = Parameters.of(ModelInit.random(c, 1));
        TrainingDecoder decoder = new TrainingDecoder(weights, Parameters.zerosLike(weights));
        SplittableRandom rnd = new SplittableRandom(2);
        AttentionState[] states = decoder.newStreamState();
        step(decoder, states, rnd, chunk, 0, c.vocabSize()); // warm-up: JIT, workspace sizing
        long start = System.nanoTime();
        for (int i = 1; i <= chunks; i++) {
            step(decoder, states, rnd, chunk, (long) i * chunk, c.vocabSize());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double flops = 3 * DecoderBench.modelFlops(c, chunk, chunks * chunk, true);
        double attentionSeconds = attentionSeconds(c, chunk, chunks, rnd);
        double attentionFlops = 3 * c.layers() * AttentionFlops.count(c.schedule(), c.heads(), c.headDim(), chunk,
                chunks * chunk);
        return new Result(chunks * chunk / seconds, flops / seconds / 1e9, attentionSeconds / seconds,
                attentionFlops / attentionSeconds / 1e9, TrainingDecoder.workspaceBytes());
    }

    private static void step(TrainingDecoder decoder, AttentionState[] states, SplittableRandom rnd, int chunk,
                             long first, int vocab) {
        int[] tokens = new int[chunk];
        int[] targets = new int[chunk];
        for (int i = 0; i < chunk; i++) {
            tokens[i] = rnd.nextInt(vocab);
            targets[i] = rnd.nextInt(vocab);
        }
        decoder.step(tokens, targets, first, states, 1.0 / chunk);
    }

    /** The attention alone, forward and backward, for every layer of the same chunks. */
    private static double attentionSeconds(ModelConfig c, int chunk, int chunks, SplittableRandom rnd) {
        DilatedAttention forward = new DilatedAttention(c.schedule(), c.heads(), c.headDim(), null);
        DilatedAttentionGrad backward = new DilatedAttentionGrad(c.schedule(), c.heads(), c.headDim(), null);
        int e = c.embedDim();
        float[] qkv = new float[chunk * 3 * e];
        float[] dOut = new float[chunk * e];
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < dOut.length; i++) {
            dOut[i] = (float) rnd.nextGaussian();
        }
        AttentionState state = forward.newState();
        forward.attend(qkv, chunk, 0, state);
        long start = System.nanoTime();
        for (int i = 1; i <= chunks; i++) {
            for (int layer = 0; layer < c.layers(); layer++) {
                AttentionState copy = forward.newState();
                AttentionState.KeptRows prior = state.copyKept();
                for (int pair = 0; pair < prior.keys().length; pair++) {
                    copy.append(pair / c.heads(), pair % c.heads(), prior.keys()[pair], prior.values()[pair]);
                }
                double[] lse = new double[chunk * c.heads()];
                float[] out = forward.attend(FloatBuffer.wrap(qkv), chunk, (long) i * chunk, copy, lse);
                backward.backward(FloatBuffer.wrap(qkv), chunk, (long) i * chunk, prior, out, lse, dOut);
                if (layer == c.layers() - 1) {
                    state = copy;
                }
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }
}
