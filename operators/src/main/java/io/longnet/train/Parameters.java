package io.longnet.train;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A decoder's trainable tensors by torchscale state-dict name, float32 row-major, in the layout's order: every
 * tensor of {@link WeightLayout} except the tied output projection (the embedding is the one tensor then) and
 * the xPos scales (torchscale's buffers, not parameters). The same names hold weights, gradients and optimizer
 * moments.
 */
public final class Parameters {

    private final ModelConfig config;
    private final Map<String, float[]> tensors;
    private final Map<String, float[]> buffers; // xpos.scale: carried, never trained

    private Parameters(ModelConfig config, Map<String, float[]> tensors, Map<String, float[]> buffers) {
        this.config = config;
        this.tensors = tensors;
        this.buffers = buffers;
    }

    /** The trainable tensors of a model, copied. */
    public static Parameters of(ModelWeights weights) {
        ModelConfig c = weights.config();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, float[]> buffers = new LinkedHashMap<>();
        for (String name : WeightLayout.of(c).shapes().keySet()) {
            if (name.equals(WeightLayout.OUTPUT) && c.shareInputOutputEmbed()) {
                continue;
            }
            (isBuffer(name) ? buffers : tensors).put(name, weights.get(name).clone());
        }
        return new Parameters(c, tensors, buffers);
    }

    /** Zeros shaped like {@code like}'s tensors (gradients, moments). */
    public static Parameters zerosLike(Parameters like) {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        like.tensors.forEach((name, t) -> tensors.put(name, new float[t.length]));
        return new Parameters(like.config, tensors, like.buffers);
    }

    static boolean isBuffer(String name) {
        return name.endsWith("xpos.scale");
    }

    public ModelConfig config() {
        return config;
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    /** The tensor itself (not a copy): callers update it in place. */
    public float[] get(String name) {
        float[] t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no trainable tensor " + name);
        }
        return t;
    }

    public float[] buffer(String name) {
        float[] t = buffers.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no buffer " + name);
        }
        return t;
    }

    public long count() {
        long n = 0;
        for (float[] t : tensors.values()) {
            n += t.length;
        }
        return n;
    }

    public void fill(float value) {
        for (float[] t : tensors.values()) {
            java.util.Arrays.fill(t, value);
        }
    }

    /** The model these weights make (copies), buffers included. */
    public ModelWeights toWeights() {
        Map<String, float[]> all = new LinkedHashMap<>();
        for (String name : WeightLayout.of(config).shapes().keySet()) {
            float[] t = tensors.containsKey(name) ? tensors.get(name) : buffers.get(name);
            if (t != null) {
                all.put(name, t.clone());
            }
        }
        return new ModelWeights(config, all);
    }
}
