package io.longnet.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes {@link ModelConfig} as JSON with torchscale's DecoderConfig key names. Missing keys take
 * torchscale's defaults and its deepnorm rule: {@code "deepnorm": true} alone is a pre-LN decoder (with the
 * final layer_norm) without subln, because DecoderConfig leaves decoder_normalize_before at True (only
 * EncoderDecoderConfig switches its decoder to post-LN). Keys for features we do not implement are rejected
 * unless set to their "off" value; unknown keys are rejected so that a typo never goes unnoticed.
 */
public final class ModelConfigJson {

    /** Our one extension key: torchscale's grouped head offsets (default) or the paper's h mod r. */
    public static final String HEAD_OFFSETS_KEY = "longnet_head_offsets";

    /** The model's tokenizer: "bytes", "cl100k_base" (the default) or another tiktoken encoding; {@link #tokenizer}. */
    public static final String TOKENIZER_KEY = "longnet_tokenizer";
    /** The tokenizer of a config that names none. */
    public static final String DEFAULT_TOKENIZER = "cl100k_base";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Keys that only matter for training or for a kernel choice: accepted and ignored. */
    private static final Set<String> TRAINING_ONLY_KEYS = Set.of(
            "dropout", "attention_dropout", "activation_dropout", "drop_path_rate", "checkpoint_activations",
            "fsdp", "ddp_rank", "flash_attention", "bert_init", "max_target_positions", "seq_parallel",
            "moe_top1_expert", "moe_expert_count", "moe_gating_use_fp32", "moe_eval_capacity_token_fraction",
            "moe_second_expert_policy", "moe_normalize_gate_prob_before_dropping", "use_xmoe",
            "torchscale_version");

    /** Features we do not implement: allowed only with the value that switches them off. */
    private static final Map<String, Object> MUST_BE_OFF = Map.of(
            "multiway", false, "moe_freq", 0, "rel_pos_buckets", 0, "max_rel_pos", 0,
            "no_output_layer", false, "layernorm_embedding_before", false);

    private static final Set<String> SUPPORTED_KEYS = Set.of(
            "vocab_size", "decoder_embed_dim", "decoder_attention_heads", "decoder_ffn_embed_dim",
            "decoder_layers", "segment_length", "dilated_ratio", "decoder_normalize_before", "subln", "deepnorm",
            "activation_fn", "no_scale_embedding", "layernorm_embedding", "layernorm_eps", "xpos_rel_pos",
            "xpos_scale_base", "share_decoder_input_output_embed", HEAD_OFFSETS_KEY, TOKENIZER_KEY);

    private ModelConfigJson() {
    }

    public static ModelConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model config " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static ModelConfig parse(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("model config is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("model config must be a JSON object");
        }
        checkKeys(root);
        Fields f = new Fields(root);
        boolean deepnorm = f.bool("deepnorm", false);
        // torchscale's DecoderConfig.postprocessing: deepnorm sets subln = False (and encoder_normalize_before,
        // which a decoder never reads); decoder_normalize_before keeps its own default, True, either way.
        boolean subln = f.bool("subln", !deepnorm);
        boolean normalizeBefore = f.bool("decoder_normalize_before", true);
        HeadOffsetRule rule = root.has(HEAD_OFFSETS_KEY)
                ? HeadOffsetRule.fromJson(HEAD_OFFSETS_KEY, f.string(HEAD_OFFSETS_KEY, "grouped"))
                : HeadOffsetRule.GROUPED;
        DilationSchedule schedule = DilationSchedule.of(
                f.intList("segment_length"), f.intList("dilated_ratio"), rule);
        return new ModelConfig(
                f.requiredInt("vocab_size"),
                f.integer("decoder_embed_dim", 768),
                f.integer("decoder_attention_heads", 12),
                f.integer("decoder_ffn_embed_dim", 3072),
                f.integer("decoder_layers", 12),
                schedule,
                normalizeBefore,
                subln,
                deepnorm,
                Activation.fromJson(f.string("activation_fn", "gelu")),
                f.bool("no_scale_embedding", true),
                f.bool("layernorm_embedding", false),
                f.number("layernorm_eps", 1e-5),
                f.bool("xpos_rel_pos", false),
                f.number("xpos_scale_base", 512),
                f.bool("share_decoder_input_output_embed", false));
    }

    /** The tokenizer a config names under {@link #TOKENIZER_KEY}, "cl100k_base" when absent. */
    public static String tokenizer(String json) {
        try {
            JsonNode value = MAPPER.readTree(json).get(TOKENIZER_KEY);
            return value == null || value.isNull() ? DEFAULT_TOKENIZER : value.asText();
        } catch (IOException e) {
            throw new IllegalArgumentException("model config is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** {@link #toJson} with the tokenizer named. */
    public static String toJson(ModelConfig c, String tokenizer) {
        try {
            ObjectNode o = (ObjectNode) MAPPER.readTree(toJson(c));
            o.put(TOKENIZER_KEY, tokenizer);
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkKeys(JsonNode root) {
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            JsonNode value = root.get(key);
            if (MUST_BE_OFF.containsKey(key)) {
                Object off = MUST_BE_OFF.get(key);
                boolean isOff = value.isNull()
                        || (off instanceof Boolean b && value.isBoolean() && value.booleanValue() == b)
                        || (off instanceof Integer i && value.isIntegralNumber() && value.intValue() == i);
                if (!isOff) {
                    throw new IllegalArgumentException(key + " = " + value + " is not supported (only " + off + ")");
                }
            } else if (!SUPPORTED_KEYS.contains(key) && !TRAINING_ONLY_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown model config key \"" + key + "\" = " + value);
            }
        }
    }

    public static String toJson(ModelConfig c) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("vocab_size", c.vocabSize());
        o.put("decoder_embed_dim", c.embedDim());
        o.put("decoder_attention_heads", c.heads());
        o.put("decoder_ffn_embed_dim", c.ffnDim());
        o.put("decoder_layers", c.layers());
        ArrayNode w = o.putArray("segment_length");
        c.schedule().segmentLengths().forEach(w::add);
        ArrayNode r = o.putArray("dilated_ratio");
        c.schedule().dilatedRatios().forEach(r::add);
        o.put(HEAD_OFFSETS_KEY, c.schedule().offsetRule().jsonName());
        o.put("decoder_normalize_before", c.normalizeBefore());
        o.put("subln", c.subln());
        o.put("deepnorm", c.deepnorm());
        o.put("activation_fn", c.activation().jsonName());
        o.put("no_scale_embedding", c.noScaleEmbedding());
        o.put("layernorm_embedding", c.layernormEmbedding());
        o.put("layernorm_eps", c.layernormEps());
        o.put("xpos_rel_pos", c.xpos());
        o.put("xpos_scale_base", c.xposScaleBase());
        o.put("share_decoder_input_output_embed", c.shareInputOutputEmbed());
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Typed access to config fields; every type error names the key and the value found. */
    private record Fields(JsonNode root) {

        int requiredInt(String key) {
            if (!root.has(key) || root.get(key).isNull()) {
                throw new IllegalArgumentException(key + " is required");
            }
            return integer(key, 0);
        }

        int integer(String key, int fallback) {
            JsonNode v = root.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new IllegalArgumentException(key + " must be an integer, got " + v);
            }
            return v.intValue();
        }

        double number(String key, double fallback) {
            JsonNode v = root.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isNumber()) {
                throw new IllegalArgumentException(key + " must be a number, got " + v);
            }
            return v.doubleValue();
        }

        boolean bool(String key, boolean fallback) {
            JsonNode v = root.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw new IllegalArgumentException(key + " must be true or false, got " + v);
            }
            return v.booleanValue();
        }

        String string(String key, String fallback) {
            JsonNode v = root.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw new IllegalArgumentException(key + " must be a string, got " + v);
            }
            return v.textValue();
        }

        List<Integer> intList(String key) {
            JsonNode v = root.get(key);
            if (v == null || v.isNull()) {
                throw new IllegalArgumentException(key + " is required");
            }
            if (!v.isArray()) {
                throw new IllegalArgumentException(key + " must be a list of integers, got " + v);
            }
            List<Integer> out = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                    throw new IllegalArgumentException(key + " must be a list of integers, got " + v);
                }
                out.add(e.intValue());
            }
            return out;
        }
    }
}
