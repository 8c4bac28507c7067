package io.longnet.golden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longnet.attention.Arrays2;
import io.longnet.attention.DilatedAttention;
import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.SelfAttention;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.io.SafetensorsFile;
import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reference implementation's outputs in ../shared/golden (torchscale, float64). Skipped when the
 * shared folder is not beside the checkout, so a plain clone still builds and tests.
 */
class GoldenCasesTest {

    private static Path golden;
    private static JsonNode manifest;

    @BeforeAll
    static void locate() throws Exception {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/golden/manifest.json");
            if (Files.isRegularFile(candidate)) {
                golden = candidate.getParent();
                manifest = new ObjectMapper().readTree(candidate.toFile());
                return;
            }
        }
    }

    private static JsonNode goldenCase(String name) {
        assumeTrue(golden != null, "../shared/golden is not present");
        for (JsonNode c : manifest.get("cases")) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("manifest has no case " + name);
    }

    @Test
    void singleBranchR1() {
        checkCore("core_w8_r1_causal");
    }

    @Test
    void singleBranchR2WithUncoveredRows() {
        checkCore("core_w8_r2_causal");
    }

    @Test
    void threeBranchMixtureAndEachBranchAlone() {
        checkCore("core_mix3_causal_n64");
    }

    private void checkCore(String name) {
        JsonNode c = goldenCase(name);
        JsonNode cfg = c.get("config");
        int heads = cfg.get("num_heads").asInt();
        int d = cfg.get("head_dim").asInt();
        List<Integer> w = ints(cfg.get("segment_length"));
        List<Integer> r = ints(cfg.get("dilated_ratio"));
        try (SafetensorsFile st = SafetensorsFile.open(golden.resolve(c.get("file").asText()))) {
            float[] q = st.readFloats("q");
            float[] k = st.readFloats("k");
            float[] v = st.readFloats("v");
            Tolerance tol = Tolerance.of(c);
            check(name, DilationSchedule.of(w, r, HeadOffsetRule.GROUPED), heads, d, q, k, v, st.readFloats("out"), cfg, tol);
            for (int i = 0; i < w.size(); i++) {
                String debug = "debug.branch" + i + ".out";
                if (st.tensors().containsKey(debug)) {
                    check(name + " " + debug, DilationSchedule.of(List.of(w.get(i)), List.of(r.get(i)),
                            HeadOffsetRule.GROUPED), heads, d, q, k, v, st.readFloats(debug), cfg, tol);
                }
            }
        }
    }

    private void check(String what, DilationSchedule schedule, int heads, int d, float[] q, float[] k, float[] v,
                       float[] expected, JsonNode cfg, Tolerance tol) {
        int batch = cfg.get("batch").asInt();
        int n = cfg.get("seq_len").asInt();
        int e = heads * d;
        DilatedAttention attention = new DilatedAttention(schedule, heads, d, null);
        for (int b = 0; b < batch; b++) {
            float[] qkv = new float[n * 3 * e]; // [n, 3E]
            for (int p = 0; p < n; p++) {
                int src = (b * n + p) * e;
                System.arraycopy(q, src, qkv, p * 3 * e, e);
                System.arraycopy(k, src, qkv, p * 3 * e + e, e);
                System.arraycopy(v, src, qkv, p * 3 * e + 2 * e, e);
            }
            float[] got = attention.attend(qkv, n, 0, attention.newState());
            tol.assertClose(what + " batch " + b, got, expected, b * n * e);
        }
    }

    @Test
    void attentionModuleWithSubLn() {
        JsonNode c = goldenCase("module_mix3_subln_causal_n40");
        JsonNode cfg = c.get("config");
        int e = cfg.get("embed_dim").asInt();
        int n = cfg.get("seq_len").asInt();
        ModelConfig config = ModelConfigJson.parse("{\"vocab_size\": 8, \"decoder_embed_dim\": " + e
                + ", \"decoder_attention_heads\": " + cfg.get("num_heads").asInt()
                + ", \"decoder_layers\": 1, \"subln\": true, \"segment_length\": " + cfg.get("segment_length")
                + ", \"dilated_ratio\": " + cfg.get("dilated_ratio") + "}");
        try (SafetensorsFile st = SafetensorsFile.open(golden.resolve(c.get("file").asText()))) {
            SelfAttention module = new SelfAttention(config, name -> st.readFloats("param." + name));
            float[] x = st.readFloats("x");
            float[] expected = st.readFloats("out");
            for (int b = 0; b < cfg.get("batch").asInt(); b++) {
                float[] rows = java.util.Arrays.copyOfRange(x, b * n * e, (b + 1) * n * e);
                float[] got = Arrays2.rowMajor(module.forward(Arrays2.matrix(rows, n, e), 0, module.newState()));
                Tolerance.of(c).assertClose("module batch " + b, got, expected, b * n * e);
            }
        }
    }

    @Test
    void decoderLogitsAndFeaturesInBatchAndInAnyChunking() {
        JsonNode c = goldenCase("decoder_default_n45");
        ObjectNode cfg = ((ObjectNode) c.get("config")).deepCopy();
        int batch = cfg.remove("batch").asInt();
        int n = cfg.remove("seq_len").asInt();
        cfg.remove(List.of("head_dim", "embed_scale", "embed_positions", "causal"));
        ModelConfig config = ModelConfigJson.parse(cfg.toString());
        try (SafetensorsFile st = SafetensorsFile.open(golden.resolve(c.get("file").asText()))) {
            Map<String, float[]> params = new LinkedHashMap<>();
            for (String name : WeightLayout.of(config).shapes().keySet()) {
                params.put(name, st.readFloats("param." + name));
            }
            LongNetDecoder decoder = new LongNetDecoder(new ModelWeights(config, params));
            long[] tokens = st.readLongs("tokens");
            float[] logits = st.readFloats("logits");
            float[] features = st.readFloats("features");
            Tolerance tol = Tolerance.of(c);
            Random rnd = new Random(17);
            for (int b = 0; b < batch; b++) {
                int[] seq = new int[n];
                for (int p = 0; p < n; p++) {
                    seq[p] = Math.toIntExact(tokens[b * n + p]);
                }
                DecoderOutput whole = new StreamingDecoder(decoder).accept(seq);
                tol.assertClose("logits batch " + b, whole.logitsRowMajor(), logits, b * n * config.vocabSize());
                tol.assertClose("features batch " + b, whole.featuresRowMajor(), features, b * n * config.embedDim());
                List<float[]> parts = new ArrayList<>();
                StreamingDecoder stream = new StreamingDecoder(decoder);
                for (int p = 0; p < n; ) {
                    int len = Math.min(n - p, 1 + rnd.nextInt(7));
                    parts.add(stream.accept(java.util.Arrays.copyOfRange(seq, p, p + len)).logitsRowMajor());
                    p += len;
                }
                tol.assertClose("chunked logits batch " + b, concat(parts), logits, b * n * config.vocabSize());
            }
        }
    }

    private static float[] concat(List<float[]> parts) {
        int total = parts.stream().mapToInt(a -> a.length).sum();
        float[] out = new float[total];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asInt()));
        return out;
    }

    /** |got - expected| <= atol + rtol * |expected|, as the manifest states per case. */
    record Tolerance(double atol, double rtol) {

        static Tolerance of(JsonNode c) {
            return new Tolerance(c.get("tolerance").get("atol").asDouble(), c.get("tolerance").get("rtol").asDouble());
        }

        void assertClose(String what, float[] got, float[] expected, int expectedOffset) {
            List<String> bad = new ArrayList<>();
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                double exp = expected[expectedOffset + i];
                double diff = Math.abs(got[i] - exp);
                worst = Math.max(worst, diff);
                if (!(diff <= atol + rtol * Math.abs(exp)) && bad.size() < 5) {
                    bad.add("[" + i + "] got " + got[i] + " expected " + exp);
                }
            }
            assertThat(bad).as("%s (max abs diff %.3g)", what, worst).isEmpty();
        }
    }
}
