package io.longnet.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsStreamWriterTest {

    @TempDir
    Path dir;

    @Test
    void interleavedAppendsGiveTheSameFileAsOneWrite() throws Exception {
        float[] a = new float[300_000]; // [3, 100000]: more than one write block
        long[] b = new long[7];
        for (int i = 0; i < a.length; i++) {
            a[i] = i * 0.25f - 7;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (1L << 40) + i;
        }
        Path whole = dir.resolve("whole.safetensors");
        SafetensorsWriter.write(whole, List.of(NamedTensor.f32("a", a, 3, 100_000), NamedTensor.i64("b", b, 7)),
                Map.of("k", "v"));
        Path pieces = dir.resolve("pieces.safetensors");
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(pieces, List.of(
                new SafetensorsStreamWriter.Entry("a", DType.F32, new long[] {3, 100_000}),
                new SafetensorsStreamWriter.Entry("b", DType.I64, new long[] {7})), Map.of("k", "v"))) {
            w.append("b", b, 0, 2);
            w.append("a", a, 0, 1);
            w.append("a", a, 1, 262_143);
            w.append("b", b, 2, 5);
            w.append("a", a, 262_144, 37_856);
        }
        assertThat(Files.readAllBytes(pieces)).isEqualTo(Files.readAllBytes(whole));
        try (SafetensorsFile st = SafetensorsFile.open(pieces)) {
            assertThat(st.readFloats("a")).isEqualTo(a);
            assertThat(st.readLongs("b", 3, 4)).containsExactly(b[3], b[4], b[5], b[6]);
            assertThatThrownBy(() -> st.readLongs("b", 5, 3)).hasMessageContaining("[5, 5 + 3)")
                    .hasMessageContaining("7 elements");
        }
    }

    @Test
    void tooManyValuesAreRefusedAndAShortTensorDeletesTheFile() throws Exception {
        Path file = dir.resolve("short.safetensors");
        SafetensorsStreamWriter w = SafetensorsStreamWriter.create(file,
                List.of(new SafetensorsStreamWriter.Entry("x", DType.F32, new long[] {2, 3})), Map.of());
        w.append("x", new float[4], 0, 4);
        assertThatThrownBy(() -> w.append("x", new float[3], 0, 3))
                .hasMessageContaining("x [2, 3] has 6 values; 4 are written, 3 more do not fit");
        assertThatThrownBy(() -> w.append("y", new float[1], 0, 1)).hasMessageContaining("no F32 tensor y");
        assertThatThrownBy(w::close).hasMessageContaining("tensor x [2, 3] got 4 of its 6 values");
        assertThat(file).doesNotExist();
    }

    @Test
    void offsetsPastTwoToThe31AreLongs() throws Exception {
        Path file = dir.resolve("big.safetensors");
        long big = (1L << 31) + 5; // F32 elements: 8 GiB, declared but never written
        SafetensorsStreamWriter w = SafetensorsStreamWriter.create(file, List.of(
                new SafetensorsStreamWriter.Entry("big", DType.F32, new long[] {1, big}),
                new SafetensorsStreamWriter.Entry("tail", DType.I64, new long[] {2})), Map.of());
        w.append("tail", new long[] {11, 12}, 0, 2); // lands 8 GiB into the (sparse) file
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertThat(st.info("tail").begin()).isEqualTo(big * 4);
            assertThat(st.readLongs("tail", 0, 2)).containsExactly(11, 12);
            assertThat(st.readLongs("tail")).containsExactly(11, 12);
            assertThatThrownBy(() -> st.readFloats("big")).hasMessageContaining(big * 4 + " bytes")
                    .hasMessageContaining("more than one read can hold");
        }
        assertThatThrownBy(w::close).hasMessageContaining("big [1, " + big + "] got 0 of its " + big + " values");
    }
}
