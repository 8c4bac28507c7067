package io.longnet.cli;

import io.longnet.bench.AttentionBench;
import io.longnet.bench.DecoderBench;
import io.longnet.bench.DenseComparison;
import io.longnet.bench.FlatCostBench;
import io.longnet.bench.RuntimePlot;
import io.longnet.compute.ComputeThreads;
import io.longnet.compute.NativeThreadEnvironment;
import io.longnet.compute.VectorMath;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.Activation;
import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import io.longnet.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code longnet bench}: prints, in one run, the threads used; this machine's ND4J fp32 gemm GFLOP/s; the
 * streaming decoder's warm-up, tokens/s and model FLOP utilisation (achieved / gemm) with and without logits,
 * and the attention kernel's share of its time, for the paper's base model and the docker model; tokens/s in
 * windows from position 0 and from 2^40 (flat cost); the dilated-attention kernel on the paper's schedule; and,
 * with {@code --plot FILE.png}, the kernel against dense causal attention for N = 8K, 32K, 128K, drawn log-log.
 */
public final class BenchCommand {

    private static final List<Integer> PAPER_W = List.of(2048, 4096, 8192, 16384, 32768);
    private static final List<Integer> PAPER_R = List.of(1, 2, 4, 6, 12);
    private static final DilationSchedule PAPER = DilationSchedule.of(PAPER_W, PAPER_R, HeadOffsetRule.GROUPED);
    /** Small enough that 5 runs of 2 x 3 windows of 2 w_max tokens take well under a minute. */
    private static final DilationSchedule FLAT = DilationSchedule.of(List.of(512, 1024, 2048), List.of(1, 2, 4),
            HeadOffsetRule.GROUPED);
    private static final int FLAT_LAYERS = 4;
    /** Runs of the flat-cost windows; each window's figure is its best run. */
    private static final int FLAT_RUNS = 7;
    private static final List<Integer> DENSE_LENGTHS = List.of(8192, 32768, 131072);
    private static final double LONGEST_RUN_SECONDS = 120;

    private BenchCommand() {
    }

    /** The LongNet paper's base model: E=768, 12 heads, 12 layers, FFN 3072, cl100k vocabulary. */
    static ModelConfig paperBase() {
        return model(768, 12, 3072, 12, PAPER);
    }

    /** docker/model-config.json: E=256, 4 heads, 4 layers, FFN 1024. */
    static ModelConfig dockerModel() {
        return model(256, 4, 1024, 4, PAPER);
    }

    private static ModelConfig model(int e, int heads, int ffn, int layers, DilationSchedule schedule) {
        return new ModelConfig(100277, e, heads, ffn, layers, schedule,
                true, true, false, Activation.GELU, true, false, 1e-5, false, 512, false);
    }

    /** The shipped code model's shape: bytes, E=256, 4 heads, 4 layers, FFN 1024, w up to 2^17 with r up to 64. */
    static ModelConfig codeModel() {
        return new ModelConfig(257, 256, 4, 1024, 4, DilationSchedule.of(List.of(1024, 8192, 131072),
                List.of(1, 8, 64), HeadOffsetRule.GROUPED), true, true, false, Activation.GELU, true, false, 1e-5,
                false, 512, true);
    }

    public static void run(List<String> argv) {
        if (argv.contains("--train")) {
            List<String> rest = new java.util.ArrayList<>(argv);
            rest.remove("--train");
            train(rest);
            return;
        }
        Args args = new Args("bench", argv, Set.of("kernel-tokens", "decoder-tokens", "chunk", "threads", "plot"));
        int kernelTokens = args.positiveInt("kernel-tokens", 32768);
        int decoderTokens = args.positiveInt("decoder-tokens", 4096);
        int chunk = args.positiveInt("chunk", 512);
        int cores = Runtime.getRuntime().availableProcessors();
        ComputeThreads.set(args.positiveInt("threads", cores));
        Path plot = args.has("plot") ? Path.of(args.required("plot")) : null;
        System.out.printf("threads   : %d (ND4J native %d, OpenBLAS %d) of %d cores visible to the JVM%n",
                ComputeThreads.get(), ComputeThreads.nativeThreads(), ComputeThreads.blasThreads(), cores);
        System.out.printf("native    : %s%s%n", NativeThreadEnvironment.describe(System.getenv()),
                NativeThreadEnvironment.problems(System.getenv()).isEmpty() ? ""
                        : " (idle native workers spin and take cores from the kernel: see README, \"bench\")");
        double gemmBefore = gemmGflops();
        System.out.printf("gemm      : %.1f GFLOP/s (ND4J fp32, 2048x2048x2048)%n", gemmBefore);
        System.out.printf("exp       : %.2f ns per value (VectorMath.exp, the softmaxes' exponential, %d lanes)%n",
                expNanosPerValue(), FloatVector.SPECIES_PREFERRED.length());

        long warmUpStart = System.nanoTime();
        LongNetDecoder.warmUp();
        System.out.printf("JIT       : %.2f s to compile the decoder's code (once per JVM, at the first model load)%n",
                (System.nanoTime() - warmUpStart) / 1e9);
        List<Achieved> achieved = new ArrayList<>();
        for (ModelConfig model : List.of(paperBase(), dockerModel())) {
            collectGarbage();
            decoder(model, decoderTokens, chunk, achieved);
        }
        collectGarbage();
        flat(chunk);
        double kernelGflops = kernel(kernelTokens);
        if (plot != null) {
            plot(plot);
        }
        double gemmAfter = gemmGflops();
        // Shared machines are noisy: the utilisation is taken against the better of two gemm measurements.
        double gemm = Math.max(gemmBefore, gemmAfter);
        System.out.printf("gemm      : %.1f GFLOP/s again; utilisation below is against %.1f%n", gemmAfter, gemm);
        System.out.printf("kernel    : %3.0f%% of the gemm rate (useful FLOPs, paper schedule, E=768 H=12, %d tokens)%n",
                100 * kernelGflops / gemm, kernelTokens);
        for (Achieved a : achieved) {
            System.out.printf("MFU       : %3.0f%% %s%n", 100 * a.gflops() / gemm, a.what());
        }
    }

    /**
     * The best time per value of {@link VectorMath#exp} over a vocabulary-sized row (as the heads' softmax runs it),
     * of 300 passes after the compiler had the loop. The pass is a method of its own, compiled as the heads' loops
     * are: a loop inside this method would be compiled on stack replacement, where the Java 17 compiler kept the
     * vectors boxed (a heap object per vector, 2 to 4 ns per value at 8 lanes against 0.9 in a method's compile).
     */
    private static double expNanosPerValue() {
        float[] row = new float[100_277]; // [V] of the cl100k_base models
        for (int i = 0; i < row.length; i++) {
            row[i] = (i % 100) * 0.37f - 18f;
        }
        double best = Double.MAX_VALUE;
        float sink = 0;
        for (int pass = 0; pass < 300; pass++) {
            long start = System.nanoTime();
            sink += sumOfExp(row);
            best = Math.min(best, (System.nanoTime() - start) / (double) row.length);
        }
        if (!(sink > 0)) {
            throw new IllegalStateException("exp summed to " + sink + ": the bench's own input went wrong");
        }
        return best;
    }

    /** One lane of the sum of exp(row[j] - 5) over the row's whole vectors. */
    private static float sumOfExp(float[] row) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        FloatVector sum = FloatVector.zero(species);
        for (int j = 0; j <= row.length - species.length(); j += species.length()) {
            sum = sum.add(VectorMath.exp(FloatVector.fromArray(species, row, j).sub(5f)));
        }
        return sum.lane(0);
    }

    /**
     * {@code bench --train}: training tokens/s and model FLOP utilisation of the code model's shape on 2 x 8192
     * tokens in chunks of 8192 (or --chunk, --chunks), against the gemm rate measured before and after.
     */
    private static void train(List<String> argv) {
        Args args = new Args("bench --train", argv, Set.of("chunk", "chunks", "threads", "layers", "embed-dim"));
        int cores = Runtime.getRuntime().availableProcessors();
        ComputeThreads.set(args.positiveInt("threads", cores));
        int chunk = args.positiveInt("chunk", 8192);
        int chunks = args.positiveInt("chunks", 2);
        ModelConfig base = codeModel();
        int e = args.positiveInt("embed-dim", base.embedDim());
        ModelConfig c = new ModelConfig(base.vocabSize(), e, e / 64, 4 * e, args.positiveInt("layers", base.layers()),
                base.schedule(), true, true, false, Activation.GELU, true, false, 1e-5, false, 512, true);
        System.out.printf("threads   : %d; native %s%n", ComputeThreads.get(),
                NativeThreadEnvironment.describe(System.getenv()));
        double gemmBefore = gemmGflops();
        System.out.printf("gemm      : %.1f GFLOP/s (ND4J fp32, 2048x2048x2048)%n", gemmBefore);
        System.out.printf("exp       : %.2f ns per value (VectorMath.exp, the softmaxes' exponential, %d lanes)%n",
                expNanosPerValue(), FloatVector.SPECIES_PREFERRED.length());
        System.out.printf("train     : E=%d H=%d %d layers FFN %d, bytes (V=257), tied, w %s r %s, %d chunks of %d "
                + "from position %d%n", c.embedDim(), c.heads(), c.layers(), c.ffnDim(),
                c.schedule().segmentLengths(), c.schedule().dilatedRatios(), chunks, chunk, chunk);
        io.longnet.bench.TrainBench.Result r = io.longnet.bench.TrainBench.run(c, chunk, chunks);
        double gemmAfter = gemmGflops();
        double gemm = Math.max(gemmBefore, gemmAfter);
        System.out.printf("gemm      : %.1f GFLOP/s after%n", gemmAfter);
        System.out.printf("tokens/s  : %.0f (forward + backward + gradient accumulation)%n", r.tokensPerSecond());
        System.out.printf("MFU       : %.0f%% (%.1f model GFLOP/s: 3 x (matmuls + attention), of the better gemm rate)%n",
                100 * r.gflops() / gemm, r.gflops());
        System.out.printf("attention : %.0f%% of the step's time, %.1f GFLOP/s (forward + backward alone)%n",
                100 * r.attentionShare(), r.attentionGflops());
        System.out.printf("memory    : %.0f MB of activations per chunk of %d tokens (%.0f KB a token), whatever the "
                + "stream's length%n", r.workspaceBytes() / 1e6, chunk, r.workspaceBytes() / 1e3 / chunk);
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

    /** A model FLOP rate to set against the gemm's. */
    private record Achieved(String what, double gflops) {
    }

    private static void decoder(ModelConfig c, int tokens, int chunk, List<Achieved> achieved) {
        String name = String.format("E=%d H=%d %d layers FFN %d vocab %d, paper schedule, positions 0..%d, "
                + "chunks of %d", c.embedDim(), c.heads(), c.layers(), c.ffnDim(), c.vocabSize(), tokens, chunk);
        System.out.printf("decoder   : %s%n", name);
        DecoderBench bench = new DecoderBench(c, tokens, chunk);
        double cold = bench.firstChunkSeconds(true);
        DecoderBench.Run on = bench.stream(true);
        DecoderBench.Run off = bench.stream(false);
        double meanChunk = on.seconds() / on.chunkSeconds().length;
        double warmFirst = on.chunkSeconds()[0];
        System.out.printf("  warm-up : first chunk of this model in this process %.2f s, the same chunk warm %.2f s: warm-up costs "
                + "%.2f s = %.2f mean chunks (%.2f s, logits on); at load, the logits buffer for a chunk took %.2f s%n",
                cold, warmFirst, cold - warmFirst, (cold - warmFirst) / meanChunk, meanChunk,
                bench.logitsReserveSeconds());
        for (DecoderBench.Run run : List.of(on, off)) {
            boolean logits = run == on;
            System.out.printf("  logits %-3s: %.0f tokens/s, %.1f GFLOP/s; seconds per chunk %s%n", logits ? "on" : "off",
                    run.tokensPerSecond(tokens), run.gflops(), seconds(run.chunkSeconds()));
            achieved.add(new Achieved(String.format("decoder E=%d %d layers, logits %s", c.embedDim(), c.layers(),
                    logits ? "on" : "off"), run.gflops()));
        }
        System.out.printf("  attention kernel: %.0f%% of the decoder's time with logits off, %.0f%% with logits on "
                        + "(one layer's kernel calls alone on the same chunks, each after its chunk, times %d layers)%n",
                100 * off.kernelShare(c.layers()), 100 * on.kernelShare(c.layers()), c.layers());
    }

    /**
     * A section starts on a collected heap: the previous model's gigabytes, garbage by then, otherwise slow the
     * young collections that a new stream's growing k/v buffers trigger (the flat-cost windows from 0 and from
     * 2^40 agreed within 0.81 with them left, 0.97 without).
     */
    private static void collectGarbage() {
        System.gc();
    }

    private static void flat(int chunk) {
        ModelConfig c = model(256, 4, 1024, FLAT_LAYERS, FLAT);
        FlatCostBench.Result r = new FlatCostBench(c, chunk).run(3, FLAT_RUNS);
        System.out.printf("flat cost : E=256 H=4 %d layers, w=%s r=%s, logits off, chunks of %d, windows of %d tokens, "
                + "each window's best of %d runs on fresh streams%n", FLAT_LAYERS, FLAT.segmentLengths(),
                FLAT.dilatedRatios(), chunk, r.windowTokens(), FLAT_RUNS);
        System.out.printf("  from 0    : %s tokens/s%n", rates(r.fromZero()));
        System.out.printf("  from 2^40 : %s tokens/s%n", rates(r.fromFar()));
        System.out.printf("  mean from 2^40 / mean from 0: %.2f; slowest window / fastest: %.2f (windows alternate "
                + "between the two streams)%n", r.farOverZero(), r.spread());
    }

    /** @return the kernel's GFLOP/s */
    static double kernel(int tokens) {
        AttentionBench bench = new AttentionBench(PAPER, 12, 64);
        double seconds = bench.onePassSeconds(tokens);
        System.out.printf("kernel    : %.0f tokens/s, %.1f GFLOP/s (paper schedule w=%s r=%s, E=768 H=12, "
                + "%d tokens in one pass)%n", tokens / seconds, bench.flops(tokens) / seconds / 1e9, PAPER_W, PAPER_R,
                tokens);
        return bench.flops(tokens) / seconds / 1e9;
    }

    private static void plot(Path png) {
        DenseComparison.Result r = new DenseComparison(PAPER, 12, 64, LONGEST_RUN_SECONDS).run(DENSE_LENGTHS);
        for (int i = 0; i < DENSE_LENGTHS.size(); i++) {
            DenseComparison.Point dilated = r.dilated().get(i);
            DenseComparison.Point dense = r.dense().get(i);
            System.out.printf("vs dense  : N=%6d dilated %s, dense %s: %.1fx faster%n", dilated.n(), describe(dilated),
                    describe(dense), dense.seconds() / dilated.seconds());
        }
        try {
            RuntimePlot.write(r, "Dilated vs dense causal attention, E=768 H=12 (paper schedule w=2048..32768)", png);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the plot to " + png, e);
        }
        System.out.printf("plot      : %s%n", png.toAbsolutePath());
    }

    private static String describe(DenseComparison.Point p) {
        return p.estimated()
                ? String.format("%.1f s (estimated: one run would take over %.0f s, skipped)", p.seconds(),
                        LONGEST_RUN_SECONDS)
                : String.format("%.2f s", p.seconds());
    }

    private static String seconds(double[] values) {
        return Arrays.stream(values).mapToObj(v -> String.format("%.2f", v)).collect(Collectors.joining(" "));
    }

    private static String rates(double[] values) {
        return Arrays.stream(values).mapToObj(v -> String.format("%.0f", v)).collect(Collectors.joining(" "));
    }
}
