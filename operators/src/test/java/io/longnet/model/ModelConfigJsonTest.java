package io.longnet.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelConfigJsonTest {

    private static final String BASE = "\"vocab_size\": 100, \"decoder_embed_dim\": 32, "
            + "\"decoder_attention_heads\": 4, \"decoder_ffn_embed_dim\": 64, \"decoder_layers\": 2, ";

    private static ModelConfig parse(String rest) {
        return ModelConfigJson.parse("{" + BASE + rest + "}");
    }

    @Test
    void readsTorchscaleKeysWithItsDefaults() {
        ModelConfig c = parse("\"segment_length\": [2048, 4096], \"dilated_ratio\": [1, 2]");
        assertThat(c.schedule().segmentLengths()).containsExactly(2048, 4096);
        assertThat(c.schedule().dilatedRatios()).containsExactly(1, 2);
        assertThat(c.normalizeBefore()).isTrue();
        assertThat(c.subln()).isTrue();
        assertThat(c.deepnorm()).isFalse();
        assertThat(c.embedScale()).isEqualTo(1.0);
        assertThat(c.activation()).isEqualTo(Activation.GELU);
        assertThat(c.schedule().offsetRule()).isEqualTo(HeadOffsetRule.GROUPED);
        assertThat(c.maxStateFloats()).isEqualTo(2L * (2048 + 2048) * 2 * 32);
    }

    @Test
    void deepnormStaysPreLnWithoutSubLnAsTorchscalesDecoderConfigDoes() {
        ModelConfig c = parse("\"segment_length\": [8], \"dilated_ratio\": [1], \"deepnorm\": true");
        assertThat(c.normalizeBefore()).isTrue();
        assertThat(c.subln()).isFalse();
        assertThat(c.residualAlpha()).isCloseTo(Math.pow(4.0, 0.25), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(parse("\"segment_length\": [8], \"dilated_ratio\": [1], \"deepnorm\": true, "
                + "\"decoder_normalize_before\": true")).isEqualTo(c);
        ModelConfig postLn = parse("\"segment_length\": [8], \"dilated_ratio\": [1], \"deepnorm\": true, "
                + "\"decoder_normalize_before\": false");
        assertThat(postLn.normalizeBefore()).isFalse();
        assertThat(postLn.deepnorm()).isTrue();
        // subln leaves decoder_normalize_before alone too: post-LN with sub-LN is a torchscale decoder
        ModelConfig sublnPostLn = parse("\"segment_length\": [8], \"dilated_ratio\": [1], "
                + "\"decoder_normalize_before\": false");
        assertThat(sublnPostLn.subln()).isTrue();
        assertThat(sublnPostLn.normalizeBefore()).isFalse();
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        ModelConfig c = parse("\"segment_length\": [5, 9], \"dilated_ratio\": [2, 4], \"xpos_rel_pos\": true, "
                + "\"xpos_scale_base\": 256, \"longnet_head_offsets\": \"modulo\", \"no_scale_embedding\": false, "
                + "\"share_decoder_input_output_embed\": true, \"activation_fn\": \"relu\", \"layernorm_eps\": 1e-6");
        assertThat(ModelConfigJson.parse(ModelConfigJson.toJson(c))).isEqualTo(c);
    }

    @Test
    void everyErrorNamesTheKeyAndValue() {
        String sched = "\"segment_length\": [8], \"dilated_ratio\": [1], ";
        assertError("\"segment_length\": [8, 16, 32, 64, 128], \"dilated_ratio\": [1, 2, 4, 8]",
                "segment_length has 5 entries", "dilated_ratio has 4 entries");
        assertError("\"segment_length\": [], \"dilated_ratio\": []", "segment_length", "non-empty");
        assertError("\"segment_length\": [8, -1], \"dilated_ratio\": [1, 2]", "segment_length", "-1");
        assertError("\"segment_length\": [8], \"dilated_ratio\": [0]", "dilated_ratio", "0");
        assertError(sched + "\"multiway\": true", "multiway", "true");
        assertError(sched + "\"moe_freq\": 2", "moe_freq", "2");
        assertError(sched + "\"rel_pos_buckets\": 32", "rel_pos_buckets", "32");
        assertError(sched + "\"activation_fn\": \"tanh\"", "activation_fn", "tanh");
        assertError(sched + "\"decoder_layrs\": 3", "decoder_layrs", "unknown");
        assertError(sched + "\"subln\": \"yes\"", "subln", "\"yes\"");
        assertError(sched + "\"deepnorm\": true, \"subln\": true", "deepnorm true", "subln true");
        assertError(sched + "\"longnet_head_offsets\": \"random\"", "longnet_head_offsets", "random");
        assertThatThrownBy(() -> ModelConfigJson.parse("{\"vocab_size\": 10, \"decoder_embed_dim\": 30, "
                + "\"decoder_attention_heads\": 4, " + sched + "\"decoder_layers\": 1}"))
                .hasMessageContaining("decoder_embed_dim 30").hasMessageContaining("decoder_attention_heads 4");
        assertThatThrownBy(() -> ModelConfigJson.parse("{\"segment_length\": [8], \"dilated_ratio\": [1]}"))
                .hasMessageContaining("vocab_size is required");
        assertThatThrownBy(() -> ModelConfigJson.parse("[1, 2]")).hasMessageContaining("JSON object");
    }

    private static void assertError(String rest, String... fragments) {
        var thrown = assertThatThrownBy(() -> parse(rest)).isInstanceOf(IllegalArgumentException.class);
        for (String f : fragments) {
            thrown.hasMessageContaining(f);
        }
    }

    @Test
    void branchKeepsCeilRowsAndFewerForLateOffsets() {
        Branch b = new Branch(16384, 6);
        assertThat(b.maxKeptRows()).isEqualTo(2731);
        assertThat(b.keptRows(0)).isEqualTo(2731);
        assertThat(b.keptRows(5)).isEqualTo(2730);
        assertThat(new Branch(3, 4).keptRows(3)).isZero();
        assertThat(DilationSchedule.of(List.of(4, 6), List.of(2, 4), HeadOffsetRule.GROUPED).maxKeptRowsPerLayer())
                .isEqualTo(2 + 2);
    }
}
