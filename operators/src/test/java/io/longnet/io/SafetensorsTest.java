package io.longnet.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void bf16IsWrittenRoundedToNearestEvenAndReadBack() throws Exception {
        float[] values = {1f, -2.5f, 1.00390625f, 1.01171875f, 3.14159265f, 1e-30f, Float.NaN,
                Float.NEGATIVE_INFINITY, 65504f};
        // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even mantissa, 1; 1 + 3 * 2^-8 ties up to 1 + 2^-6
        float[] expected = {1f, -2.5f, 1f, 1.015625f, 3.140625f, Float.intBitsToFloat(
                (Float.floatToRawIntBits(1e-30f) + 0x7FFF + ((Float.floatToRawIntBits(1e-30f) >>> 16) & 1)) & 0xFFFF0000),
                Float.NaN, Float.NEGATIVE_INFINITY, 65536f};
        Path file = dir.resolve("bf16.safetensors");
        SafetensorsWriter.write(file, java.util.List.of(NamedTensor.bf16("x", values, 3, 3)), java.util.Map.of());
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertThat(st.info("x").dtype()).isEqualTo(DType.BF16);
            assertThat(st.readFloats("x")).containsExactly(expected);
        }
        assertThat(java.nio.file.Files.size(file)).isLessThan(8 + 200 + 9 * 4);
    }

    @Test
    void f32AndI64RoundTrip() throws Exception {
        Path file = dir.resolve("t.safetensors");
        SafetensorsWriter.write(file, List.of(
                NamedTensor.f32("a", new float[] {1.5f, -2f, 3.25f, Float.MIN_VALUE, 1e30f, -0f}, 2, 3),
                NamedTensor.i64("ids", new long[] {7, Long.MAX_VALUE, -1}, 1, 3)), Map.of());
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertThat(st.readFloats("a")).containsExactly(1.5f, -2f, 3.25f, Float.MIN_VALUE, 1e30f, -0f);
            assertThat(st.info("a").shape()).containsExactly(2, 3);
            assertThat(st.readLongs("ids")).containsExactly(7, Long.MAX_VALUE, -1);
        }
    }

    @Test
    void f16AndBf16AreWidenedExactly() throws Exception {
        // F16: 1.0 = 0x3C00, -2.5 = 0xC100, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001, inf = 0x7C00
        // BF16: 1.0 = 0x3F80, -3.0 = 0xC040, 1.5 = 0x3FC0
        short[] f16 = {0x3C00, (short) 0xC100, 0x7BFF, 0x0001, 0x7C00};
        short[] bf16 = {0x3F80, (short) 0xC040, 0x3FC0};
        Path file = rawFile("{\"h\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[10,16]}}", shorts(f16, bf16));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertThat(st.readFloats("h")).containsExactly(1f, -2.5f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY);
            assertThat(st.readFloats("b")).containsExactly(1f, -3f, 1.5f);
        }
    }

    @Test
    void corruptHeadersAreRejectedNamingFileAndTensor() throws Exception {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafetensorsFile.open(tiny)).hasMessageContaining("tiny.safetensors")
                .hasMessageContaining("truncated");

        Path huge = dir.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertThatThrownBy(() -> SafetensorsFile.open(huge)).hasMessageContaining("header length 1099511627776");

        assertThatThrownBy(() -> SafetensorsFile.open(rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8])))
                .hasMessageContaining("tensor a").hasMessageContaining("outside the data section of 8 bytes");
        assertThatThrownBy(() -> SafetensorsFile.open(rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12])))
                .hasMessageContaining("overlaps");
        assertThatThrownBy(() -> SafetensorsFile.open(rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8])))
                .hasMessageContaining("tensor a").hasMessageContaining("needs 12");
        assertThatThrownBy(() -> SafetensorsFile.open(rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904, 4],\"data_offsets\":[0,8]}}", new byte[8])))
                .hasMessageContaining("too large");
        assertThatThrownBy(() -> SafetensorsFile.open(rawFile(
                "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8])))
                .hasMessageContaining("tensor a has dtype \"Q4\"");
        assertThatThrownBy(() -> SafetensorsFile.open(rawFile("{\"a\": 5", new byte[0])))
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void modelWeightsAreCheckedAgainstTheConfigBeforeUse() throws Exception {
        ModelConfig c = ModelConfigJson.parse("{\"vocab_size\": 11, \"decoder_embed_dim\": 8, "
                + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 12, \"decoder_layers\": 1, "
                + "\"segment_length\": [4], \"dilated_ratio\": [1]}");
        ModelWeights good = ModelInit.random(c, 1);
        Path ok = dir.resolve("ok.safetensors");
        good.save(ok);
        assertThat(ModelWeights.load(c, ok).get(WeightLayout.EMBED)).containsExactly(good.get(WeightLayout.EMBED));

        assertThatThrownBy(() -> ModelWeights.load(c, write("missing", without(good, "layers.0.ffn.fc1.bias"), c)))
                .hasMessageContaining("missing tensor layers.0.ffn.fc1.bias");
        Map<String, float[]> extra = new LinkedHashMap<>(good.tensors());
        extra.put("layers.1.ffn.fc1.bias", new float[12]);
        assertThatThrownBy(() -> ModelWeights.load(c, write("extra", extra, c)))
                .hasMessageContaining("unexpected tensor layers.1.ffn.fc1.bias");
        Path wrongShape = dir.resolve("shape.safetensors");
        List<NamedTensor> tensors = new ArrayList<>();
        good.tensors().forEach((name, data) -> tensors.add(name.equals("layers.0.ffn.fc1.weight")
                ? NamedTensor.f32(name, data, 8, 12) : NamedTensor.f32(name, data, WeightLayout.of(c).shapes().get(name))));
        SafetensorsWriter.write(wrongShape, tensors, Map.of());
        assertThatThrownBy(() -> ModelWeights.load(c, wrongShape))
                .hasMessageContaining("layers.0.ffn.fc1.weight has shape [8, 12], expected [12, 8]");
        Path wrongType = dir.resolve("type.safetensors");
        List<NamedTensor> typed = new ArrayList<>();
        good.tensors().forEach((name, data) -> typed.add(name.equals("layer_norm.bias")
                ? NamedTensor.i64(name, new long[8], 8) : NamedTensor.f32(name, data, WeightLayout.of(c).shapes().get(name))));
        SafetensorsWriter.write(wrongType, typed, Map.of());
        assertThatThrownBy(() -> ModelWeights.load(c, wrongType))
                .hasMessageContaining("layer_norm.bias has dtype I64");
    }

    @Test
    void modelDirectoryNamesWhatIsMissing() throws Exception {
        assertThatThrownBy(() -> ModelDirectory.load(dir.resolve("nope"))).hasMessageContaining("nope")
                .hasMessageContaining("does not exist");
        Files.writeString(dir.resolve("config.json"), "{}");
        assertThatThrownBy(() -> ModelDirectory.load(dir)).hasMessageContaining("no model.safetensors");
    }

    /** Writes tensors with their layout shapes (1-D for names the layout does not know). */
    private Path write(String name, Map<String, float[]> tensors, ModelConfig c) throws Exception {
        Path file = dir.resolve(name + ".safetensors");
        Map<String, long[]> shapes = WeightLayout.of(c).shapes();
        List<NamedTensor> list = new ArrayList<>();
        tensors.forEach((n, d) -> list.add(NamedTensor.f32(n, d, shapes.getOrDefault(n, new long[] {d.length}))));
        SafetensorsWriter.write(file, list, Map.of());
        return file;
    }

    private static Map<String, float[]> without(ModelWeights w, String name) {
        Map<String, float[]> m = new LinkedHashMap<>(w.tensors());
        m.remove(name);
        return m;
    }

    private Path rawFile(String header, byte[] data) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(data);
        Path file = Files.createTempFile(dir, "raw", ".safetensors");
        Files.write(file, out.toByteArray());
        return file;
    }

    private static byte[] shorts(short[]... groups) {
        ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (short[] g : groups) {
            for (short s : g) {
                buf.putShort(s);
            }
        }
        return java.util.Arrays.copyOf(buf.array(), buf.position());
    }
}
