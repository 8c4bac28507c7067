package io.longnet.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DecoderTest {

    /** Small models covering every option: pre-LN + subln, pre-LN + deepnorm, xPos, tied, scaled, etc. */
    static List<ModelConfig> variants() {
        String base = "\"vocab_size\": 50, \"decoder_embed_dim\": 24, \"decoder_attention_heads\": 3, "
                + "\"decoder_ffn_embed_dim\": 40, \"decoder_layers\": 2, ";
        return List.of(
                ModelConfigJson.parse("{" + base + "\"segment_length\": [4, 8, 12], \"dilated_ratio\": [1, 2, 3]}"),
                ModelConfigJson.parse("{" + base + "\"segment_length\": [6, 10], \"dilated_ratio\": [4, 3], "
                        + "\"deepnorm\": true, \"activation_fn\": \"relu\"}"),
                ModelConfigJson.parse("{" + base + "\"segment_length\": [8, 16], \"dilated_ratio\": [1, 2], "
                        + "\"xpos_rel_pos\": true, \"xpos_scale_base\": 8}"),
                ModelConfigJson.parse("{" + base + "\"segment_length\": [5, 9], \"dilated_ratio\": [2, 4], "
                        + "\"share_decoder_input_output_embed\": true, \"no_scale_embedding\": false, "
                        + "\"layernorm_embedding\": true, \"subln\": false, \"activation_fn\": \"swish\", "
                        + "\"longnet_head_offsets\": \"modulo\"}"));
    }

    @Test
    void fastDecoderMatchesThePlainLoopReference() {
        Random rnd = new Random(1);
        for (ModelConfig c : variants()) {
            ModelWeights w = ModelInit.random(c, 42);
            int[] tokens = rnd.ints(29, 0, c.vocabSize()).toArray();
            DecoderReference.Result expected = new DecoderReference(w).forward(tokens);
            DecoderOutput got = new StreamingDecoder(new LongNetDecoder(w)).accept(tokens);
            assertClose(c + " features", got.featuresRowMajor(), expected.features(), 1e-4);
            assertClose(c + " logits", got.logitsRowMajor(), expected.logits(), 1e-4);
        }
    }

    /** Chunks large enough that the row passes (LayerNorm, residual, activation) split across threads. */
    @Test
    void rowPassesSplitAcrossThreadsMatchThePlainLoopReference() {
        String base = "\"vocab_size\": 60, \"decoder_embed_dim\": 128, \"decoder_attention_heads\": 2, "
                + "\"decoder_ffn_embed_dim\": 520, \"decoder_layers\": 2, \"segment_length\": [256, 1024], "
                + "\"dilated_ratio\": [1, 4]";
        int threadsBefore = io.longnet.compute.ComputeThreads.get();
        io.longnet.compute.ComputeThreads.set(3);
        try {
            for (String options : List.of("", ", \"decoder_normalize_before\": false, \"deepnorm\": true")) {
                ModelConfig c = ModelConfigJson.parse("{" + base + options + "}");
                ModelWeights w = ModelInit.random(c, 8);
                int[] tokens = new Random(4).ints(521, 0, c.vocabSize()).toArray(); // 521 x 128 > 2^16 elements
                DecoderReference.Result expected = new DecoderReference(w).forward(tokens);
                DecoderOutput got = new StreamingDecoder(new LongNetDecoder(w)).accept(tokens);
                assertClose(c + " features", got.featuresRowMajor(), expected.features(), 1e-4);
                assertClose(c + " logits", got.logitsRowMajor(), expected.logits(), 1e-4);
            }
        } finally {
            io.longnet.compute.ComputeThreads.set(threadsBefore);
        }
    }

    @Test
    void anyChunkingEqualsOneFullPassAndStateStaysBounded() {
        Random rnd = new Random(2);
        for (ModelConfig c : variants()) {
            LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(c, 7));
            int[] tokens = rnd.ints(61, 0, c.vocabSize()).toArray();
            float[] whole = new StreamingDecoder(decoder).accept(tokens).logitsRowMajor();
            for (int trial = 0; trial < 3; trial++) {
                StreamingDecoder stream = new StreamingDecoder(decoder);
                List<float[]> parts = new ArrayList<>();
                for (int p = 0; p < tokens.length; ) {
                    int len = Math.min(tokens.length - p, 1 + rnd.nextInt(trial == 0 ? 1 : 13));
                    parts.add(stream.accept(Arrays.copyOfRange(tokens, p, p + len)).logitsRowMajor());
                    assertThat(stream.stateBytes()).isLessThanOrEqualTo(4 * c.maxStateFloats());
                    p += len;
                }
                assertThat(maxAbsDiff(concat(parts), whole)).as("%s trial %d", c, trial).isLessThan(1e-4f);
            }
        }
    }

    @Test
    void xposIsExactAndFiniteAtPosition2To40() {
        ModelConfig c = variants().get(2); // xPos with segment lengths 8 and 16
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(c, 5));
        int[] tokens = new Random(6).ints(37, 0, c.vocabSize()).toArray();
        float[] atStart = decoder.forward(tokens, decoder.newState(), true).logitsRowMajor();
        DecoderState far = decoder.newStateAt(1L << 40);
        float[] atFar = decoder.forward(tokens, far, true).logitsRowMajor();
        assertThat(far.position()).isEqualTo((1L << 40) + 37);
        for (float v : atFar) {
            assertThat(Float.isFinite(v)).isTrue();
        }
        assertThat(maxAbsDiff(atFar, atStart)).isLessThan(1e-5f);
        assertThatThrownBy(() -> decoder.newStateAt((1L << 40) + 4)).hasMessageContaining("segment_length");
    }

    @Test
    void tokenOutsideTheVocabularyIsNamed() {
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(variants().get(0), 1));
        assertThatThrownBy(() -> new StreamingDecoder(decoder).accept(new int[] {3, 50}))
                .hasMessageContaining("token 1").hasMessageContaining("50").hasMessageContaining("vocab_size");
    }

    @Test
    void erfMatchesKnownValues() {
        assertThat(Erf.erf(0.5)).isCloseTo(0.5204998778130465, org.assertj.core.data.Offset.offset(1e-14));
        assertThat(Erf.erf(1.0)).isCloseTo(0.8427007929497149, org.assertj.core.data.Offset.offset(1e-14));
        assertThat(Erf.erf(-2.0)).isCloseTo(-0.9953222650189527, org.assertj.core.data.Offset.offset(1e-14));
        assertThat(Erf.erf(3.5)).isCloseTo(0.9999992569016276, org.assertj.core.data.Offset.offset(1e-15));
    }

    @Test
    void fastNormalCdfIsWithinTenToTheMinusSevenOfTheExactErf() {
        double worst = 0;
        for (int i = -80_000; i <= 80_000; i++) {
            float x = i / 10_000f; // [-8, 8] in steps of 1e-4
            double exact = 0.5 * (1 + Erf.erf(x / Math.sqrt(2)));
            worst = Math.max(worst, Math.abs(Erf.normalCdf(x) - exact));
        }
        assertThat(worst).isLessThan(1e-7);
        assertThat(Erf.normalCdf(-30f)).isEqualTo(0f);
        assertThat(Erf.normalCdf(30f)).isEqualTo(1f);
        assertThat(Erf.normalCdf(-6f)).isCloseTo(9.865876e-10f, within(1e-11f));
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    static float[] concat(List<float[]> parts) {
        float[] out = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static void assertClose(String what, float[] got, double[][] expected, double tol) {
        int width = expected[0].length;
        double worst = 0;
        for (int p = 0; p < expected.length; p++) {
            for (int i = 0; i < width; i++) {
                double diff = Math.abs(got[p * width + i] - expected[p][i]) / (1 + Math.abs(expected[p][i]));
                worst = Math.max(worst, diff);
            }
        }
        assertThat(worst).as(what).isLessThan(tol);
    }
}
