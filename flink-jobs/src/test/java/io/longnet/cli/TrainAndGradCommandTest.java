package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longnet.io.NamedTensor;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsWriter;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import io.longnet.train.TrainingRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** longnet train and longnet grad as a user runs them: files in, files out. */
class TrainAndGradCommandTest {

    @TempDir
    Path dir;

    @Test
    void trainWritesAModelForwardLoadsALogAndALossCurve() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"vocab_size\": 257, \"decoder_embed_dim\": 16, \"decoder_attention_heads\": 2, "
                + "\"decoder_ffn_embed_dim\": 32, \"decoder_layers\": 1, \"segment_length\": [16, 64], "
                + "\"dilated_ratio\": [1, 4], \"share_decoder_input_output_embed\": true, "
                + "\"longnet_tokenizer\": \"bytes\"}");
        Path data = Path.of("src", "main", "java", "io", "longnet").toAbsolutePath();
        Path out = dir.resolve("run");
        Path model = TrainCommand.run(List.of("--data", data.toString(), "--out", out.toString(), "--config",
                config.toString(), "--steps", "12", "--batch", "2", "--chunk", "64", "--checkpoint-every", "5",
                "--eval-every", "6", "--eval-tokens", "128", "--eval-packages", "1", "--held-out", "bench",
                "--threads", "1"));
        assertThat(Files.readAllLines(out.resolve("train.jsonl"))).hasSize(12 + 2); // steps and two evaluations
        assertThat(Files.size(out.resolve("loss.png"))).isGreaterThan(1000);
        ModelDirectory loaded = ModelDirectory.load(model);
        assertThat(ModelConfigJson.tokenizer(Files.readString(model.resolve("config.json")))).isEqualTo("bytes");
        Path tokens = dir.resolve("tokens.safetensors");
        SafetensorsWriter.write(tokens, List.of(NamedTensor.i64("tokens", new long[] {104, 105, 33, 10}, 1, 4)),
                Map.of());
        ForwardCommand.run(List.of("--model", model.toString(), "--tokens", tokens.toString(), "--out",
                dir.resolve("logits.safetensors").toString()));
        assertThat(loaded.config().vocabSize()).isEqualTo(257);

        TrainingRecord record = TrainingRecord.read(model).orElseThrow();
        JsonNode lastEval = new ObjectMapper().readTree(Files.readAllLines(out.resolve("train.jsonl")).get(13));
        assertThat(record.steps()).isEqualTo(12);
        assertThat(record.tokens()).isEqualTo(12 * 2 * 64);
        assertThat(record.heldOut()).containsExactly("bench");
        assertThat(record.heldOutBitsPerByte()).isEqualTo(lastEval.get("held_out_bits_per_byte").asDouble());
        assertThat(record.trainBitsPerToken()).isNotNull();
        long f32Bytes = Files.size(model.resolve(ModelDirectory.WEIGHTS_FILE));

        // The finished run started again: no step left, the model rewritten in BF16 with the same figures.
        TrainCommand.run(List.of("--data", data.toString(), "--out", out.toString(), "--config",
                config.toString(), "--steps", "12", "--batch", "2", "--chunk", "64", "--checkpoint-every", "5",
                "--eval-every", "6", "--eval-tokens", "128", "--eval-packages", "1", "--held-out", "bench",
                "--threads", "1", "--dtype", "bf16"));
        TrainingRecord again = TrainingRecord.read(model).orElseThrow();
        assertThat(again.heldOutBitsPerByte()).isEqualTo(record.heldOutBitsPerByte());
        assertThat(again.trainBitsPerToken()).isEqualTo(record.trainBitsPerToken()); // step 12's, from the log
        assertThat(Files.size(model.resolve(ModelDirectory.WEIGHTS_FILE))).isLessThan(f32Bytes * 6 / 10);
        assertThat(Main.run(new String[] {"train", "--data", data.toString(), "--out", out.toString(),
                "--config", config.toString(), "--model", model.toString()})).as("both --config and --model").isEqualTo(2);
    }

    /** The golden gradient cases end to end: a model directory and a token file in, loss and grad.* out. */
    @Test
    void gradMatchesTheGoldenGradientsThroughFiles() throws Exception {
        Path golden = null;
        for (Path d = Path.of("").toAbsolutePath(); d != null && golden == null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("shared/golden/grad/manifest.json"))) {
                golden = d.resolve("shared/golden/grad");
            }
        }
        assumeTrue(golden != null, "../shared/golden/grad is not present");
        JsonNode manifest = new ObjectMapper().readTree(golden.resolve("manifest.json").toFile());
        for (JsonNode c : manifest.get("cases")) {
            String name = c.get("name").asText();
            ModelConfig config = ModelConfigJson.parse(c.get("config").toString());
            Path tokens = dir.resolve(name + "-tokens.safetensors");
            Path out = dir.resolve(name + "-grad.safetensors");
            Map<String, float[]> params = new LinkedHashMap<>();
            try (SafetensorsFile st = SafetensorsFile.open(golden.resolve(name + ".safetensors"))) {
                for (String tensor : WeightLayout.of(config).shapes().keySet()) {
                    if (st.tensors().containsKey("param." + tensor)) {
                        params.put(tensor, st.readFloats("param." + tensor));
                    }
                }
                SafetensorsWriter.write(tokens, List.of(NamedTensor.i64("tokens", st.readLongs("tokens"),
                        st.info("tokens").shape())), Map.of());
            }
            Path model = ModelDirectory.save(dir.resolve(name), new ModelWeights(config, params)).dir();
            assertThat(Main.run(new String[] {"grad", "--model", model.toString(), "--tokens", tokens.toString(),
                    "--out", out.toString()})).isZero();
            try (SafetensorsFile got = SafetensorsFile.open(out);
                 SafetensorsFile expected = SafetensorsFile.open(golden.resolve(name + ".safetensors"))) {
                double loss = c.get("loss").asDouble();
                assertThat((double) got.readFloats("loss")[0]).isCloseTo(loss,
                        org.assertj.core.data.Offset.offset(1e-4 * loss));
                long gradients = expected.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count();
                assertThat(got.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count())
                        .isEqualTo(gradients);
                for (String tensor : got.tensors().keySet()) {
                    if (!tensor.startsWith("grad.")) {
                        continue;
                    }
                    float[] g = got.readFloats(tensor);
                    float[] e = expected.readFloats(tensor);
                    double max = 0;
                    for (float v : e) {
                        max = Math.max(max, Math.abs(v));
                    }
                    for (int i = 0; i < e.length; i++) {
                        assertThat((double) g[i]).as(name + " " + tensor + "[" + i + "]")
                                .isCloseTo(e[i], org.assertj.core.data.Offset.offset(1e-5 + 1e-3 * max));
                    }
                }
            }
        }
    }
}
