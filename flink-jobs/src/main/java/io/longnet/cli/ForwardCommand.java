package io.longnet.cli;

import io.longnet.attention.Arrays2;
import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.io.DType;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsStreamWriter;
import io.longnet.io.TensorInfo;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code longnet forward --model DIR --tokens IN.safetensors --out OUT.safetensors [--chunk N] [--outputs LIST]}:
 * logits [batch, seq, vocab] and features [batch, seq, E] for the I64 [batch, seq] tensor "tokens".
 * Every sequence goes through the streaming decoder, N tokens at a time with --chunk, else in passes of at
 * most {@link #passTokens} tokens (one pass for shorter sequences): any chunking gives the same numbers, so a
 * sequence of any length runs in bounded memory. Tokens are read and outputs written piece by piece, with long
 * offsets, so neither needs to fit in memory or in one array; an output the disk cannot hold is refused up front.
 */
public final class ForwardCommand {

    /** Activation floats one pass may hold without --chunk: tokens x (3E + F), about 256 MB. */
    static final long PASS_FLOATS = 1L << 26;
    /** Logits computed at once: rows x V floats, 64 MB. */
    static final long LOGITS_BLOCK_FLOATS = 1L << 24;
    /** Token ids checked at once before any work. */
    private static final int TOKEN_BLOCK = 1 << 20;

    private static final String ALL_OUTPUTS = "logits,features";

    private ForwardCommand() {
    }

    /** What to compute and write. */
    record Options(int chunk, boolean logits, boolean features, long passFloats) {
    }

    public static void run(List<String> argv) throws IOException {
        Args args = new Args("forward", argv, Set.of("model", "tokens", "out", "chunk", "outputs"));
        Path modelDir = Path.of(args.required("model"));
        Path tokensFile = Path.of(args.required("tokens"));
        Path out = Path.of(args.required("out"));
        int chunk = args.has("chunk") ? args.positiveInt("chunk", 1) : 0;
        List<String> outputs = Arrays.asList(args.optional("outputs", ALL_OUTPUTS).split(",", -1));
        if (outputs.isEmpty() || !Set.of("logits", "features").containsAll(outputs)) {
            throw new Args.UsageException("forward: --outputs must list logits and/or features, comma-separated, "
                    + "got \"" + args.optional("outputs", ALL_OUTPUTS) + "\"");
        }
        ModelDirectory model = ModelDirectory.load(modelDir);
        int limit = model.config().maxChunkTokens();
        if (chunk > limit) {
            throw new Args.UsageException("forward: --chunk " + chunk + " is above the decoder's limit of " + limit
                    + " tokens per chunk at decoder_embed_dim " + model.config().embedDim()
                    + " (leave --chunk out to let forward choose)");
        }
        forward(model, tokensFile, out,
                new Options(chunk, outputs.contains("logits"), outputs.contains("features"), PASS_FLOATS));
    }

    /** Tokens per pass without --chunk: PASS_FLOATS / (3E + F), within [1, the decoder's chunk limit]. */
    static int passTokens(ModelConfig c, long passFloats) {
        long tokens = passFloats / (3L * c.embedDim() + c.ffnDim());
        return (int) Math.max(1, Math.min(tokens, c.maxChunkTokens()));
    }

    static void forward(ModelDirectory model, Path tokensFile, Path out, Options options) throws IOException {
        ModelConfig c = model.config();
        try (SafetensorsFile tokens = SafetensorsFile.open(tokensFile)) {
            TensorInfo info = tokens.info("tokens");
            long[] shape = info.shape();
            if (info.dtype() != DType.I64 || shape.length != 2 || shape[0] < 1 || shape[1] < 1) {
                throw new IllegalArgumentException(tokensFile + ": tensor tokens is " + info.dtype() + " "
                        + info.shapeString() + ", expected I64 [batch, seq] with batch, seq >= 1");
            }
            List<SafetensorsStreamWriter.Entry> entries = outputEntries(c, shape[0], shape[1], options);
            checkDiskSpace(out, entries, options);
            checkIds(tokens, tokensFile, shape[1], c);
            try (SafetensorsStreamWriter writer = SafetensorsStreamWriter.create(out, entries,
                    Map.of("model", model.fingerprint()))) {
                LongNetDecoder decoder = new LongNetDecoder(model.weights());
                int pass = options.chunk() > 0 ? options.chunk() : passTokens(c, options.passFloats());
                for (long b = 0; b < shape[0]; b++) {
                    forwardSequence(decoder, tokens, b, shape[1], pass, writer, options);
                }
            }
        }
    }

    private static void forwardSequence(LongNetDecoder decoder, SafetensorsFile tokens, long b, long seq, int pass,
            SafetensorsStreamWriter writer, Options options) throws IOException {
        int vocab = decoder.config().vocabSize();
        int logitRows = (int) Math.max(1, LOGITS_BLOCK_FLOATS / vocab);
        StreamingDecoder stream = new StreamingDecoder(decoder);
        for (long p = 0; p < seq; p += pass) {
            int n = (int) Math.min(pass, seq - p);
            long[] ids = tokens.readLongs("tokens", b * seq + p, n); // [n]
            int[] chunk = new int[n];
            for (int i = 0; i < n; i++) {
                chunk[i] = (int) ids[i];
            }
            DecoderOutput o = stream.accept(chunk, false);
            if (options.features()) {
                float[] features = o.featuresRowMajor(); // [n, E]
                writer.append("features", features, 0, features.length);
            }
            for (int r = 0; options.logits() && r < n; r += logitRows) {
                INDArray rows = o.features().get(NDArrayIndex.interval(r, Math.min(n, r + logitRows)),
                        NDArrayIndex.all()).dup('c'); // [rows, E]
                float[] logits = Arrays2.rowMajor(decoder.logits(rows)); // [rows, V]
                writer.append("logits", logits, 0, logits.length);
            }
        }
    }

    /** Every id of the I64 [batch, seq] tensor "tokens" against the vocabulary, before any work. */
    private static void checkIds(SafetensorsFile tokens, Path file, long seq, ModelConfig c) {
        long total = tokens.info("tokens").elementCount();
        for (long start = 0; start < total; start += TOKEN_BLOCK) {
            long[] ids = tokens.readLongs("tokens", start, (int) Math.min(TOKEN_BLOCK, total - start));
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] >= c.vocabSize()) {
                    long at = start + i;
                    throw new IllegalArgumentException(file + ": tokens[" + at / seq + ", " + at % seq + "] = "
                            + ids[i] + " is outside the model's vocab_size " + c.vocabSize());
                }
            }
        }
    }

    private static List<SafetensorsStreamWriter.Entry> outputEntries(ModelConfig c, long batch, long seq,
            Options options) {
        List<SafetensorsStreamWriter.Entry> entries = new ArrayList<>();
        if (options.logits()) {
            entries.add(new SafetensorsStreamWriter.Entry("logits", DType.F32, new long[] {batch, seq, c.vocabSize()}));
        }
        if (options.features()) {
            entries.add(new SafetensorsStreamWriter.Entry("features", DType.F32, new long[] {batch, seq, c.embedDim()}));
        }
        return entries;
    }

    /** Refuses, before any work, outputs larger than the free space where {@code out} goes. */
    private static void checkDiskSpace(Path out, List<SafetensorsStreamWriter.Entry> entries, Options options)
            throws IOException {
        long needed = 0;
        StringBuilder sizes = new StringBuilder();
        for (SafetensorsStreamWriter.Entry e : entries) {
            long bytes;
            try {
                bytes = e.bytes();
            } catch (ArithmeticException overflow) {
                throw new IllegalArgumentException(e.name() + " " + Arrays.toString(e.shape())
                        + " has more than 2^63 bytes");
            }
            needed = Math.addExact(needed, bytes);
            sizes.append(sizes.isEmpty() ? "" : " + ").append(e.name()).append(' ')
                    .append(Arrays.toString(e.shape())).append(" = ").append(bytes).append(" bytes");
        }
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        long free = Files.getFileStore(dir).getUsableSpace() + (Files.exists(out) ? Files.size(out) : 0);
        if (needed > free) {
            throw new IllegalArgumentException("the outputs need " + needed + " bytes (" + sizes + ") but "
                    + dir + " has " + free + " bytes free" + (options.logits()
                    ? "; --outputs features writes the features alone" : ""));
        }
    }
}
