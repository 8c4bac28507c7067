package io.longnet.cli;

import io.longnet.io.NamedTensor;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsWriter;
import io.longnet.io.TensorInfo;
import io.longnet.model.ModelDirectory;
import io.longnet.model.WeightLayout;
import io.longnet.train.BatchGradient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code longnet grad --model DIR --tokens IN.safetensors --out OUT.safetensors [--chunk N]}: the mean next-token
 * cross-entropy of a token batch (I64 [batch, seq]) and the exact gradient of every parameter, written as
 * {@code loss} F32 [1] and {@code grad.<torchscale name>} (tied weights once, under embed_tokens.weight).
 */
public final class GradCommand {

    private GradCommand() {
    }

    public static double run(List<String> argv) throws IOException {
        Args args = new Args("grad", argv, Set.of("model", "tokens", "out", "chunk"));
        ModelDirectory model = ModelDirectory.load(Path.of(args.required("model")));
        Path tokensFile = Path.of(args.required("tokens"));
        int[][] tokens;
        try (SafetensorsFile in = SafetensorsFile.open(tokensFile)) {
            TensorInfo info = in.info("tokens");
            if (info.shape().length != 2) {
                throw new IllegalArgumentException("--tokens " + tokensFile + ": tokens must be I64 [batch, seq], got "
                        + info.shapeString());
            }
            int batch = (int) info.shape()[0];
            int n = (int) info.shape()[1];
            long[] flat = in.readLongs("tokens");
            tokens = new int[batch][n];
            for (int b = 0; b < batch; b++) {
                for (int p = 0; p < n; p++) {
                    long id = flat[b * n + p];
                    if (id < 0 || id >= model.config().vocabSize()) {
                        throw new IllegalArgumentException("--tokens " + tokensFile + ": token [" + b + ", " + p
                                + "] = " + id + " is outside vocab_size " + model.config().vocabSize());
                    }
                    tokens[b][p] = (int) id;
                }
            }
        }
        int chunk = (int) args.longValue("chunk", 0);
        BatchGradient.Result result = BatchGradient.compute(model.weights(), tokens, chunk);
        Map<String, long[]> shapes = WeightLayout.of(model.config()).shapes();
        List<NamedTensor> out = new ArrayList<>();
        out.add(NamedTensor.f32("loss", new float[] {(float) result.loss()}, 1));
        for (String name : result.grads().names()) {
            out.add(NamedTensor.f32("grad." + name, result.grads().get(name), shapes.get(name)));
        }
        SafetensorsWriter.write(Path.of(args.required("out")), out, Map.of("format", "pt"));
        System.out.printf("loss %.6f over %d sequences; %d gradients written to %s%n", result.loss(), tokens.length,
                result.grads().names().size(), args.required("out"));
        return result.loss();
    }
}
