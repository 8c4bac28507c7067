package io.longnet.cli;

import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.io.NamedTensor;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsWriter;
import io.longnet.io.TensorInfo;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code longnet forward --model DIR --tokens IN.safetensors --out OUT.safetensors [--chunk N]}: logits
 * [batch, seq, vocab] and features [batch, seq, E] for the I64 [batch, seq] tensor "tokens", one full pass
 * per sequence or, with --chunk, through the streaming decoder N tokens at a time.
 */
public final class ForwardCommand {

    private ForwardCommand() {
    }

    public static void run(List<String> argv) throws IOException {
        Args args = new Args("forward", argv, Set.of("model", "tokens", "out", "chunk"));
        Path modelDir = Path.of(args.required("model"));
        Path tokensFile = Path.of(args.required("tokens"));
        Path out = Path.of(args.required("out"));
        int chunk = args.has("chunk") ? args.positiveInt("chunk", 1) : Integer.MAX_VALUE;
        ModelDirectory model = ModelDirectory.load(modelDir);
        int[][] tokens = readTokens(tokensFile, model.config());
        LongNetDecoder decoder = new LongNetDecoder(model.weights());
        ModelConfig c = model.config();
        int batch = tokens.length;
        int seq = tokens[0].length;
        float[] logits = new float[Math.multiplyExact(Math.multiplyExact(batch, seq), c.vocabSize())]; // [B, S, V]
        float[] features = new float[batch * seq * c.embedDim()];                                     // [B, S, E]
        for (int b = 0; b < batch; b++) {
            StreamingDecoder stream = new StreamingDecoder(decoder);
            for (int p = 0; p < seq; p += chunk) {
                int end = (int) Math.min(seq, (long) p + chunk);
                DecoderOutput o = stream.accept(Arrays.copyOfRange(tokens[b], p, end));
                System.arraycopy(o.logitsRowMajor(), 0, logits, (b * seq + p) * c.vocabSize(), (end - p) * c.vocabSize());
                System.arraycopy(o.featuresRowMajor(), 0, features, (b * seq + p) * c.embedDim(), (end - p) * c.embedDim());
            }
        }
        SafetensorsWriter.write(out, List.of(
                NamedTensor.f32("logits", logits, batch, seq, c.vocabSize()),
                NamedTensor.f32("features", features, batch, seq, c.embedDim())),
                Map.of("model", model.fingerprint()));
    }

    /** The I64 [batch, seq] tensor "tokens", every id checked against the model's vocabulary. */
    static int[][] readTokens(Path file, ModelConfig config) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            TensorInfo info = st.info("tokens");
            if (info.shape().length != 2 || info.shape()[0] < 1 || info.shape()[1] < 1) {
                throw new IllegalArgumentException(file + ": tensor tokens has shape " + info.shapeString()
                        + ", expected [batch, seq] with batch, seq >= 1");
            }
            long[] ids = st.readLongs("tokens");
            int batch = (int) info.shape()[0];
            int seq = (int) info.shape()[1];
            int[][] out = new int[batch][seq];
            for (int b = 0; b < batch; b++) {
                for (int p = 0; p < seq; p++) {
                    long id = ids[b * seq + p];
                    if (id < 0 || id >= config.vocabSize()) {
                        throw new IllegalArgumentException(file + ": tokens[" + b + ", " + p + "] = " + id
                                + " is outside the model's vocab_size " + config.vocabSize());
                    }
                    out[b][p] = (int) id;
                }
            }
            return out;
        }
    }
}
