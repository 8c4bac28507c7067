package io.longnet.decoder;

import static io.longnet.decoder.DecoderTest.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * torchscale's normalisation variants loaded from a model directory as a torchscale user writes it: deepnorm
 * alone (pre-LN, alpha-scaled residuals, final layer_norm), deepnorm with decoder_normalize_before given,
 * and post-LN with and without deepnorm, each against the plain reference in one pass and in chunks.
 */
class NormalizationTest {

    private static final String BASE = "\"vocab_size\": 37, \"decoder_embed_dim\": 16, "
            + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 24, \"decoder_layers\": 3, "
            + "\"segment_length\": [4, 8], \"dilated_ratio\": [1, 2]";

    @TempDir
    Path dir;

    @Test
    void deepnormAloneIsPreLnWithAlphaResidualsAndTheFinalLayerNorm() throws IOException {
        ModelDirectory model = saveAndLoad("deepnorm-only", "\"deepnorm\": true");
        ModelConfig c = model.config();
        assertThat(c.normalizeBefore()).isTrue();
        assertThat(c.subln()).isFalse();
        assertThat(c.residualAlpha()).isEqualTo(Math.pow(6.0, 0.25));
        assertThat(model.weights().tensors()).containsKey("layer_norm.weight")
                .doesNotContainKey("layers.0.self_attn.inner_attn_ln.weight");
        assertMatchesReferenceInAnyChunking(model.weights());
    }

    @Test
    void deepnormWithDecoderNormalizeBeforeTrueIsTheSameNetwork() throws IOException {
        ModelDirectory implicit = saveAndLoad("implicit", "\"deepnorm\": true");
        ModelDirectory explicit = saveAndLoad("explicit", "\"deepnorm\": true, \"decoder_normalize_before\": true");
        assertThat(explicit.config()).isEqualTo(implicit.config());
        assertMatchesReferenceInAnyChunking(explicit.weights());
    }

    @Test
    void postLnWithDeepnormOrSublnMatchesTheReferenceAndHasNoFinalLayerNorm() throws IOException {
        for (String keys : List.of("\"deepnorm\": true, \"decoder_normalize_before\": false",
                "\"decoder_normalize_before\": false")) {
            ModelDirectory model = saveAndLoad("post-ln-" + keys.length(), keys);
            assertThat(model.config().normalizeBefore()).as(keys).isFalse();
            assertThat(model.weights().tensors()).as(keys).doesNotContainKey("layer_norm.weight");
            assertMatchesReferenceInAnyChunking(model.weights());
        }
    }

    @Test
    void deepnormRefusesSubln() {
        assertThatThrownBy(() -> saveAndLoad("both", "\"deepnorm\": true, \"subln\": true"))
                .hasMessageContaining("deepnorm true").hasMessageContaining("subln true");
    }

    @Test
    void deepnormRefusesACheckpointWithoutTheFinalLayerNorm() throws IOException {
        ModelDirectory preLn = saveAndLoad("pre", "\"deepnorm\": true");
        Map<String, float[]> withoutFinalNorm = new LinkedHashMap<>(preLn.weights().tensors());
        withoutFinalNorm.remove("layer_norm.weight");
        withoutFinalNorm.remove("layer_norm.bias");
        assertThatThrownBy(() -> new ModelWeights(preLn.config(), withoutFinalNorm))
                .hasMessageContaining("missing tensor layer_norm");
    }

    /**
     * A model directory whose config.json holds BASE plus {@code keys} and nothing else, with seeded weights
     * whose LayerNorms are random too (ModelInit's (1, 0) would hide a missing or misplaced norm's affine part).
     */
    private ModelDirectory saveAndLoad(String name, String keys) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        String json = "{" + BASE + ", " + keys + "}";
        Files.writeString(d.resolve(ModelDirectory.CONFIG_FILE), json);
        ModelConfig c = io.longnet.model.ModelConfigJson.parse(json);
        Map<String, float[]> tensors = new LinkedHashMap<>(ModelInit.random(c, 17).tensors());
        Random rnd = new Random(18);
        tensors.replaceAll((k, v) -> k.contains("norm") || k.contains("inner_attn_ln") ? randomNorm(k, v, rnd) : v);
        new ModelWeights(c, tensors).save(d.resolve(ModelDirectory.WEIGHTS_FILE));
        return ModelDirectory.load(d);
    }

    private static float[] randomNorm(String name, float[] v, Random rnd) {
        float[] out = new float[v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (name.endsWith(".weight") ? 0.5 + rnd.nextDouble() : rnd.nextGaussian() * 0.3);
        }
        return out;
    }

    private static void assertMatchesReferenceInAnyChunking(ModelWeights w) {
        ModelConfig c = w.config();
        int[] tokens = new Random(19).ints(27, 0, c.vocabSize()).toArray();
        DecoderReference.Result expected = new DecoderReference(w).forward(tokens);
        LongNetDecoder decoder = new LongNetDecoder(w);
        for (int[] chunks : new int[][] {{27}, {1}, {5, 1, 8, 2, 11}}) {
            StreamingDecoder stream = new StreamingDecoder(decoder);
            List<float[]> features = new ArrayList<>();
            List<float[]> logits = new ArrayList<>();
            for (int p = 0, i = 0; p < tokens.length; i++) {
                int len = Math.min(tokens.length - p, chunks[i % chunks.length]);
                DecoderOutput o = stream.accept(Arrays.copyOfRange(tokens, p, p + len));
                features.add(o.featuresRowMajor());
                logits.add(o.logitsRowMajor());
                p += len;
            }
            String what = c + " chunks " + Arrays.toString(chunks);
            assertClose(what + " features", DecoderTest.concat(features), expected.features(), 1e-4);
            assertClose(what + " logits", DecoderTest.concat(logits), expected.logits(), 1e-4);
        }
    }
}
