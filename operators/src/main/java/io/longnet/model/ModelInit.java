package io.longnet.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random weights initialised as torchscale initialises a LongNetDecoder: xavier-uniform q/k/v (gain 1/sqrt 2)
 * and out_proj, PyTorch's default Linear init for biases and the FFN, N(0, 1/E) embeddings and output
 * projection, LayerNorms at (1, 0), then its deepnorm or subln rescaling of fc1, fc2, out_proj and v_proj.
 * Same config and seed, same values.
 */
public final class ModelInit {

    private ModelInit() {
    }

    public static ModelWeights random(ModelConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, float[]> out = new LinkedHashMap<>();
        double subScale = c.subln() ? Math.sqrt(Math.log(c.layers() * 2.0)) : 1.0;
        double deepScale = c.deepnorm() ? 1.0 / Math.pow(8.0 * c.layers(), 0.25) : 1.0;
        for (Map.Entry<String, long[]> e : WeightLayout.of(c).shapes().entrySet()) {
            String name = e.getKey();
            if (name.equals(WeightLayout.OUTPUT) && c.shareInputOutputEmbed()) {
                continue;
            }
            float[] t = init(c, name, e.getValue(), rng);
            if (name.contains("fc1") || name.contains("fc2") || name.contains("out_proj") || name.contains("v_proj")) {
                scale(t, subScale * deepScale);
            }
            out.put(name, t);
        }
        return new ModelWeights(c, out);
    }

    private static float[] init(ModelConfig c, String name, long[] shape, SplittableRandom rng) {
        int n = (int) (shape.length == 1 ? shape[0] : shape[0] * shape[1]);
        float[] t = new float[n];
        if (name.equals(WeightLayout.EMBED) || name.equals(WeightLayout.OUTPUT)) {
            normal(t, 1.0 / Math.sqrt(c.embedDim()), rng);
        } else if (name.endsWith("xpos.scale")) {
            int d = c.headDim();
            for (int i = 0; i < n; i++) {
                t[i] = (float) ((2.0 * i + 0.4 * d) / (1.4 * d));
            }
        } else if (isLayerNorm(name)) {
            if (name.endsWith(".weight")) {
                java.util.Arrays.fill(t, 1f);
            }
        } else if (name.contains("self_attn.") && name.endsWith("_proj.weight")) {
            double gain = name.contains("out_proj") ? 1.0 : 1.0 / Math.sqrt(2.0);
            uniform(t, gain * Math.sqrt(6.0 / (shape[0] + shape[1])), rng);
        } else if (name.endsWith("out_proj.bias")) {
            // torchscale zeroes the output projection's bias
            return t;
        } else if (name.endsWith(".weight")) {
            uniform(t, 1.0 / Math.sqrt(shape[1]), rng); // PyTorch Linear default: kaiming_uniform(a=sqrt 5)
        } else {
            uniform(t, 1.0 / Math.sqrt(fanIn(c, name)), rng); // PyTorch Linear default bias
        }
        return t;
    }

    private static boolean isLayerNorm(String name) {
        return name.contains("layer_norm") || name.contains("layernorm") || name.contains("inner_attn_ln");
    }

    private static long fanIn(ModelConfig c, String biasName) {
        return biasName.contains("fc2") ? c.ffnDim() : c.embedDim();
    }

    private static void normal(float[] t, double std, SplittableRandom rng) {
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) (rng.nextGaussian() * std);
        }
    }

    private static void uniform(float[] t, double bound, SplittableRandom rng) {
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
    }

    private static void scale(float[] t, double s) {
        if (s != 1.0) {
            for (int i = 0; i < t.length; i++) {
                t[i] = (float) (t[i] * s);
            }
        }
    }
}
