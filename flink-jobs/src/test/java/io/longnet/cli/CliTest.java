package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.io.NamedTensor;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsWriter;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.WeightLayout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as other tools call it: exit codes, one-line errors, and the numbers it writes. */
class CliTest {

    private static final String CONFIG = "{\"vocab_size\": 40, \"decoder_embed_dim\": 16, "
            + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 24, \"decoder_layers\": 2, "
            + "\"segment_length\": [4, 8], \"dilated_ratio\": [1, 2], \"xpos_rel_pos\": true}";

    @TempDir
    Path dir;

    private String stderr;

    private int cli(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setErr(old);
            stderr = err.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void initIsDeterministicPerSeed() throws Exception {
        Files.writeString(dir.resolve("c.json"), CONFIG);
        assertThat(cli("init", "--config", dir.resolve("c.json").toString(), "--seed", "5", "--out", dir.resolve("a").toString())).isZero();
        assertThat(cli("init", "--config", dir.resolve("c.json").toString(), "--seed", "5", "--out", dir.resolve("b").toString())).isZero();
        assertThat(cli("init", "--config", dir.resolve("c.json").toString(), "--seed", "6", "--out", dir.resolve("c").toString())).isZero();
        byte[] a = Files.readAllBytes(dir.resolve("a/model.safetensors"));
        assertThat(Files.readAllBytes(dir.resolve("b/model.safetensors"))).isEqualTo(a);
        assertThat(Files.readAllBytes(dir.resolve("c/model.safetensors"))).isNotEqualTo(a);
        assertThat(ModelConfigJson.read(dir.resolve("a/config.json"))).isEqualTo(ModelConfigJson.parse(CONFIG));
    }

    @Test
    void forwardInBatchAndInChunksGivesTheDecodersNumbers() throws Exception {
        Files.writeString(dir.resolve("c.json"), CONFIG);
        Path model = dir.resolve("m");
        assertThat(cli("init", "--config", dir.resolve("c.json").toString(), "--seed", "1", "--out", model.toString())).isZero();
        long[] tokens = new java.util.Random(3).longs(2 * 21, 0, 40).toArray();
        Path in = dir.resolve("in.safetensors");
        SafetensorsWriter.write(in, List.of(NamedTensor.i64("tokens", tokens, 2, 21)), Map.of());
        assertThat(cli("forward", "--model", model.toString(), "--tokens", in.toString(), "--out", dir.resolve("full.safetensors").toString())).isZero();
        assertThat(cli("forward", "--model", model.toString(), "--tokens", in.toString(), "--out", dir.resolve("chunked.safetensors").toString(), "--chunk", "3")).isZero();
        float[] full = read(dir.resolve("full.safetensors"), "logits");
        float[] chunked = read(dir.resolve("chunked.safetensors"), "logits");
        assertThat(full).hasSize(2 * 21 * 40);
        LongNetDecoder decoder = new LongNetDecoder(ModelDirectory.load(model).weights());
        int[] second = new int[21];
        for (int p = 0; p < 21; p++) {
            second[p] = (int) tokens[21 + p];
        }
        float[] direct = new StreamingDecoder(decoder).accept(second).logitsRowMajor();
        for (int i = 0; i < direct.length; i++) {
            assertThat(full[21 * 40 + i]).isCloseTo(direct[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
        for (int i = 0; i < full.length; i++) {
            assertThat(chunked[i]).isCloseTo(full[i], org.assertj.core.data.Offset.offset(1e-4f));
        }
    }

    /** bench-pipeline checks chunk-size against the model as the job does, before its bare stages run. */
    @Test
    void benchPipelineRefusesAChunkSizeTheJobRefusesBeforeItRunsAnything() throws Exception {
        Files.writeString(dir.resolve("bytes.json"), CONFIG.replace("\"vocab_size\": 40", "\"vocab_size\": 257, "
                + "\"longnet_tokenizer\": \"bytes\""));
        Path model = dir.resolve("bytes-model");
        assertThat(cli("init", "--config", dir.resolve("bytes.json").toString(), "--seed", "1", "--out",
                model.toString())).isZero();
        assertThat(io.longnet.model.ModelConfigJson.tokenizer(Files.readString(model.resolve("config.json"))))
                .as("init keeps the config's tokenizer").isEqualTo("bytes");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = cli("bench-pipeline", "--model", model.toString(), "--documents", "3", "--chunk-size",
                    "2000000000");
        } finally {
            System.setOut(old);
        }
        assertThat(code).isEqualTo(2);
        assertThat(stderr).contains("chunk-size 2000000000 is above the most tokens one chunk of this model can hold");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("tokens/s");
    }

    @Test
    void badInputExitsNonZeroWithOneLine() throws Exception {
        Files.writeString(dir.resolve("c.json"), CONFIG);
        Path model = dir.resolve("m");
        cli("init", "--config", dir.resolve("c.json").toString(), "--seed", "1", "--out", model.toString());
        Path in = dir.resolve("in.safetensors");
        SafetensorsWriter.write(in, List.of(NamedTensor.i64("tokens", new long[] {1, 2, 40}, 1, 3)), Map.of());
        String out = dir.resolve("o.safetensors").toString();

        assertThat(cli("forward", "--model", model.toString(), "--tokens", in.toString(), "--out", out)).isEqualTo(2);
        assertThat(stderr.strip()).contains("tokens[0, 2] = 40").contains("vocab_size 40").doesNotContain("\n");
        assertThat(cli("forward", "--tokens", in.toString(), "--out", out)).isEqualTo(2);
        assertThat(stderr).contains("--model is required");
        assertThat(cli("forward", "--model", dir.resolve("none").toString(), "--tokens", in.toString(), "--out", out)).isEqualTo(2);
        assertThat(stderr).contains("none").contains("does not exist");
        assertThat(cli("forward", "--model", model.toString(), "--tokens", in.toString(), "--out", out, "--chunk", "0")).isEqualTo(2);
        assertThat(stderr).contains("--chunk must be a positive integer, got 0");
        assertThat(cli("forward", "--model", model.toString(), "--tokens", in.toString(), "--out", out, "--chunks", "2")).isEqualTo(2);
        assertThat(stderr).contains("unknown argument --chunks");
        assertThat(cli("frobnicate")).isEqualTo(2);
    }

    @Test
    void forwardOnTheReferenceCheckpointMatchesItsLogits() throws Exception {
        Path golden = null;
        for (Path d = Path.of("").toAbsolutePath(); d != null && golden == null; d = d.getParent()) {
            Path candidate = d.resolve("shared/golden/manifest.json");
            golden = Files.isRegularFile(candidate) ? candidate.getParent() : null;
        }
        assumeTrue(golden != null, "../shared/golden is not present");
        JsonNode manifest = new ObjectMapper().readTree(golden.resolve("manifest.json").toFile());
        JsonNode c = null;
        for (JsonNode x : manifest.get("cases")) {
            c = x.get("name").asText().equals("decoder_default_n45") ? x : c;
        }
        ObjectNode cfg = ((ObjectNode) c.get("config")).deepCopy();
        cfg.remove(List.of("batch", "seq_len", "head_dim", "embed_scale", "embed_positions", "causal"));
        ModelConfig config = ModelConfigJson.parse(cfg.toString());
        Path model = Files.createDirectories(dir.resolve("golden-model"));
        Files.writeString(model.resolve("config.json"), cfg.toString());
        List<NamedTensor> params = new ArrayList<>();
        try (SafetensorsFile st = SafetensorsFile.open(golden.resolve(c.get("file").asText()))) {
            for (var e : WeightLayout.of(config).shapes().entrySet()) {
                params.add(NamedTensor.f32(e.getKey(), st.readFloats("param." + e.getKey()), e.getValue()));
            }
            SafetensorsWriter.write(model.resolve("model.safetensors"), params, Map.of());
            SafetensorsWriter.write(dir.resolve("tokens.safetensors"),
                    List.of(NamedTensor.i64("tokens", st.readLongs("tokens"), 2, 45)), Map.of());
            assertThat(cli("forward", "--model", model.toString(), "--tokens", dir.resolve("tokens.safetensors").toString(),
                    "--out", dir.resolve("o.safetensors").toString(), "--chunk", "7")).as(stderr).isZero();
            float[] expected = st.readFloats("logits");
            float[] got = read(dir.resolve("o.safetensors"), "logits");
            for (int i = 0; i < expected.length; i++) {
                assertThat((double) got[i]).isCloseTo(expected[i],
                        org.assertj.core.data.Offset.offset(1e-3 + 1e-3 * Math.abs(expected[i])));
            }
        }
    }

    private static float[] read(Path file, String name) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            return st.readFloats(name);
        }
    }
}
