package io.longnet.model;

import io.longnet.io.NamedTensor;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsWriter;
import io.longnet.io.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder's parameters by torchscale state-dict name, row-major float32. Every name and shape is
 * checked against the config's {@link WeightLayout} before any tensor is used.
 */
public final class ModelWeights {

    private final ModelConfig config;
    private final Map<String, float[]> tensors;

    public ModelWeights(ModelConfig config, Map<String, float[]> tensors) {
        this.config = config;
        Map<String, float[]> copy = new LinkedHashMap<>(tensors);
        checkNamesAndSizes(config, copy);
        this.tensors = Collections.unmodifiableMap(copy);
    }

    private static void checkNamesAndSizes(ModelConfig config, Map<String, float[]> tensors) {
        WeightLayout layout = WeightLayout.of(config);
        for (String name : tensors.keySet()) {
            if (!layout.shapes().containsKey(name)) {
                throw new IllegalArgumentException("unexpected tensor " + name + " for this model config");
            }
        }
        for (Map.Entry<String, long[]> e : layout.shapes().entrySet()) {
            float[] data = tensors.get(e.getKey());
            if (data == null) {
                if (layout.isOptional(e.getKey())) {
                    continue;
                }
                throw new IllegalArgumentException("missing tensor " + e.getKey() + " " + Arrays.toString(e.getValue()));
            }
            long expected = Arrays.stream(e.getValue()).reduce(1, Math::multiplyExact);
            if (data.length != expected) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " has " + data.length
                        + " values, expected shape " + Arrays.toString(e.getValue()));
            }
        }
    }

    /** Loads from a safetensors file after validating every header entry against the config. */
    public static ModelWeights load(ModelConfig config, Path file) {
        WeightLayout layout = WeightLayout.of(config);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            validateHeader(layout, st);
            Map<String, float[]> tensors = new LinkedHashMap<>();
            for (String name : layout.shapes().keySet()) {
                if (st.tensors().containsKey(name)) {
                    tensors.put(name, st.readFloats(name));
                }
            }
            return new ModelWeights(config, tensors);
        }
    }

    private static void validateHeader(WeightLayout layout, SafetensorsFile st) {
        for (TensorInfo info : st.tensors().values()) {
            long[] expected = layout.shapes().get(info.name());
            if (expected == null) {
                throw new IllegalArgumentException("safetensors file " + st.path() + " has unexpected tensor "
                        + info.name() + " " + info.shapeString() + " for this model config");
            }
            if (!info.dtype().isFloat()) {
                throw new IllegalArgumentException("safetensors file " + st.path() + " tensor " + info.name()
                        + " has dtype " + info.dtype() + ", expected F32, F16 or BF16");
            }
            if (!Arrays.equals(expected, info.shape())) {
                throw new IllegalArgumentException("safetensors file " + st.path() + " tensor " + info.name()
                        + " has shape " + info.shapeString() + ", expected " + Arrays.toString(expected));
            }
        }
        for (Map.Entry<String, long[]> e : layout.shapes().entrySet()) {
            if (!st.tensors().containsKey(e.getKey()) && !layout.isOptional(e.getKey())) {
                throw new IllegalArgumentException("safetensors file " + st.path() + " is missing tensor "
                        + e.getKey() + " " + Arrays.toString(e.getValue()));
            }
        }
    }

    public void save(Path file) throws IOException {
        save(file, false);
    }

    /** Writes the tensors as F32, or with {@code bf16} rounded to BF16 (half the bytes; what models/ ships). */
    public void save(Path file, boolean bf16) throws IOException {
        WeightLayout layout = WeightLayout.of(config);
        List<NamedTensor> out = new ArrayList<>();
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            long[] shape = layout.shapes().get(e.getKey());
            out.add(bf16 ? NamedTensor.bf16(e.getKey(), e.getValue(), shape)
                    : NamedTensor.f32(e.getKey(), e.getValue(), shape));
        }
        SafetensorsWriter.write(file, out, Map.of("format", "pt"));
    }

    public ModelConfig config() {
        return config;
    }

    /** The named tensor, row-major; the embedding when asking for a tied output projection. */
    public float[] get(String name) {
        if (name.equals(WeightLayout.OUTPUT) && config.shareInputOutputEmbed()) {
            return tensors.get(WeightLayout.EMBED);
        }
        float[] t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return t;
    }

    public Map<String, float[]> tensors() {
        return tensors;
    }
}
