package io.longnet.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The tensors a torchscale LongNetDecoder state dict holds for a config, with their shapes (spec section 4). */
public final class WeightLayout {

    public static final String EMBED = "embed_tokens.weight";
    public static final String OUTPUT = "output_projection.weight";

    private final Map<String, long[]> shapes;
    private final Set<String> optional;

    private WeightLayout(Map<String, long[]> shapes, Set<String> optional) {
        this.shapes = Collections.unmodifiableMap(shapes);
        this.optional = optional;
    }

    public static WeightLayout of(ModelConfig c) {
        long v = c.vocabSize();
        long e = c.embedDim();
        long f = c.ffnDim();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put(EMBED, new long[] {v, e});
        if (c.layernormEmbedding()) {
            layerNorm(s, "layernorm_embedding", e);
        }
        for (int i = 0; i < c.layers(); i++) {
            String p = layerPrefix(i);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                s.put(p + "self_attn." + proj + ".weight", new long[] {e, e});
                s.put(p + "self_attn." + proj + ".bias", new long[] {e});
            }
            if (c.subln()) {
                layerNorm(s, p + "self_attn.inner_attn_ln", e);
            }
            if (c.xpos()) {
                s.put(p + "self_attn.xpos.scale", new long[] {c.headDim() / 2});
            }
            layerNorm(s, p + "self_attn_layer_norm", e);
            s.put(p + "ffn.fc1.weight", new long[] {f, e});
            s.put(p + "ffn.fc1.bias", new long[] {f});
            s.put(p + "ffn.fc2.weight", new long[] {e, f});
            s.put(p + "ffn.fc2.bias", new long[] {e});
            if (c.subln()) {
                layerNorm(s, p + "ffn.ffn_layernorm", f);
            }
            layerNorm(s, p + "final_layer_norm", e);
        }
        if (c.normalizeBefore()) {
            layerNorm(s, "layer_norm", e);
        }
        // A tied output projection is the embedding; torchscale's state dict may still list it under its own name.
        s.put(OUTPUT, new long[] {v, e});
        return new WeightLayout(s, c.shareInputOutputEmbed() ? Set.of(OUTPUT) : Set.of());
    }

    public static String layerPrefix(int layer) {
        return "layers." + layer + ".";
    }

    private static void layerNorm(Map<String, long[]> s, String prefix, long width) {
        s.put(prefix + ".weight", new long[] {width});
        s.put(prefix + ".bias", new long[] {width});
    }

    /** Name to shape, in the order the reference state dict lists them. */
    public Map<String, long[]> shapes() {
        return shapes;
    }

    public boolean isOptional(String name) {
        return optional.contains(name);
    }
}
