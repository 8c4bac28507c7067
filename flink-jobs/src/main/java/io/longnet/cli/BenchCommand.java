package io.longnet.cli;

import io.longnet.attention.AttentionFlops;
import io.longnet.attention.DilatedAttention;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.model.Activation;
import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelInit;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code longnet bench}: prints, in one run, this machine's ND4J fp32 gemm GFLOP/s; the dilated attention
 * kernel's tokens/s and GFLOP/s on the paper's schedule (E=768, H=12); and the streaming decoder's tokens/s
 * and model FLOP utilisation (achieved / gemm) for a small model, with and without logits.
 */
public final class BenchCommand {

    private static final List<Integer> PAPER_W = List.of(2048, 4096, 8192, 16384, 32768);
    private static final List<Integer> PAPER_R = List.of(1, 2, 4, 6, 12);

    private BenchCommand() {
    }

    public static void run(List<String> argv) {
        Args args = new Args("bench", argv, Set.of("kernel-tokens", "decoder-tokens", "chunk"));
        int kernelTokens = args.positiveInt("kernel-tokens", 32768);
        int decoderTokens = args.positiveInt("decoder-tokens", 4096);
        int chunk = args.positiveInt("chunk", 512);
        System.out.printf("threads: %d cores visible to the JVM%n", Runtime.getRuntime().availableProcessors());
        double gemmBefore = gemmGflops();
        System.out.printf("gemm      : %.1f GFLOP/s (ND4J fp32, 2048x2048x2048)%n", gemmBefore);
        kernel(kernelTokens);
        double[] withLogits = decoder(decoderTokens, chunk, true);
        double[] withoutLogits = decoder(decoderTokens, chunk, false);
        double gemmAfter = gemmGflops();
        // Shared machines are noisy: the utilisation is taken against the better of two gemm measurements.
        double gemm = Math.max(gemmBefore, gemmAfter);
        System.out.printf("gemm      : %.1f GFLOP/s again; utilisation below is against %.1f%n", gemmAfter, gemm);
        report(withLogits, gemm, true, decoderTokens, chunk);
        report(withoutLogits, gemm, false, decoderTokens, chunk);
    }

    static double gemmGflops() {
        int n = 2048;
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.createUninitialized(DataType.FLOAT, n, n); // preallocated: measure the gemm alone
        Nd4j.gemm(a, b, c, false, false, 1.0, 0.0); // warm-up
        int reps = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < 3_000_000_000L) {
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            reps++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return 2.0 * n * n * n * reps / seconds / 1e9;
    }

    static void kernel(int tokens) {
        int heads = 12;
        int d = 64;
        DilationSchedule schedule = DilationSchedule.of(PAPER_W, PAPER_R, HeadOffsetRule.GROUPED);
        float[] qkv = new float[tokens * 3 * heads * d]; // [n, 3E]
        Random rnd = new Random(1);
        for (int i = 0; i < qkv.length; i++) {
            qkv[i] = (float) rnd.nextGaussian();
        }
        DilatedAttention attention = new DilatedAttention(schedule, heads, d, null);
        attention.attend(java.util.Arrays.copyOf(qkv, 2048 * 3 * heads * d), 2048, 0, attention.newState());
        long start = System.nanoTime();
        attention.attend(qkv, tokens, 0, attention.newState());
        double seconds = (System.nanoTime() - start) / 1e9;
        double flops = AttentionFlops.count(schedule, heads, d, 0, tokens);
        System.out.printf("kernel    : %.0f tokens/s, %.1f GFLOP/s (paper schedule w=%s r=%s, E=768 H=12, "
                + "%d tokens in one pass)%n", tokens / seconds, flops / seconds / 1e9, PAPER_W, PAPER_R, tokens);
    }

    /** Returns {tokens/s, achieved GFLOP/s}. */
    static double[] decoder(int tokens, int chunk, boolean logits) {
        ModelConfig config = new ModelConfig(100277, 256, 4, 1024, 4,
                DilationSchedule.of(PAPER_W, PAPER_R, HeadOffsetRule.GROUPED),
                true, true, false, Activation.GELU, true, false, 1e-5, false, 512, false);
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(config, 1));
        Random rnd = new Random(2);
        int[] ids = rnd.ints(tokens, 0, config.vocabSize()).toArray();
        StreamingDecoder warm = new StreamingDecoder(decoder);
        warm.accept(java.util.Arrays.copyOf(ids, Math.min(chunk, tokens)), logits);
        StreamingDecoder stream = new StreamingDecoder(decoder);
        long start = System.nanoTime();
        for (int p = 0; p < tokens; p += chunk) {
            stream.accept(java.util.Arrays.copyOfRange(ids, p, Math.min(tokens, p + chunk)), logits);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double flops = modelFlops(config, tokens, logits);
        return new double[] {tokens / seconds, flops / seconds / 1e9};
    }

    static void report(double[] result, double gemm, boolean logits, int tokens, int chunk) {
        System.out.printf("decoder   : %.0f tokens/s, %.1f GFLOP/s = %.0f%% of gemm, logits %s (E=256 H=4 "
                        + "4 layers FFN 1024 vocab 100277, paper schedule, positions 0..%d, chunks of %d)%n",
                result[0], result[1], 100 * result[1] / gemm, logits ? "on" : "off", tokens, chunk);
    }

    /** Matmul FLOPs of the model over positions [0, tokens): projections, FFN, attention, and logits if on. */
    static double modelFlops(ModelConfig c, int tokens, boolean logits) {
        double e = c.embedDim();
        double perToken = c.layers() * 2 * (4 * e * e + 2 * e * c.ffnDim()) + (logits ? 2 * e * c.vocabSize() : 0);
        double attention = c.layers() * AttentionFlops.count(c.schedule(), c.heads(), c.headDim(), 0, tokens);
        return perToken * tokens + attention;
    }
}
