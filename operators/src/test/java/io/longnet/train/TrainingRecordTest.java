package io.longnet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRecordTest {

    @TempDir
    Path dir;

    @Test
    void writtenAndReadBack() throws IOException {
        TrainingRecord record = new TrainingRecord("src.zip", List.of("java.time"), 1000, 16_384_000, 3.25, 2.125,
                32_768);
        record.write(dir);

        assertThat(TrainingRecord.read(dir)).contains(record);
        assertThat(Files.readString(dir.resolve(TrainingRecord.FILE))).contains("\"held_out_bits_per_byte\" : 2.125");
    }

    @Test
    void unknownFiguresAreNull() throws IOException {
        new TrainingRecord("corpus", List.of(), 5, 10, null, null, 0).write(dir);

        TrainingRecord read = TrainingRecord.read(dir).orElseThrow();
        assertThat(read.trainBitsPerToken()).isNull();
        assertThat(read.heldOutBitsPerByte()).isNull();
    }

    @Test
    void aDirectoryWithoutARecordHasNone() throws IOException {
        assertThat(TrainingRecord.read(dir)).isEmpty();
    }

    @Test
    void aBrokenRecordIsAnErrorNamingTheFile() throws IOException {
        Files.writeString(dir.resolve(TrainingRecord.FILE), "{\"steps\": 3}");

        assertThatThrownBy(() -> TrainingRecord.read(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining(dir.resolve(TrainingRecord.FILE).toString()).hasMessageContaining("\"data\"");
        assertThatThrownBy(() -> new TrainingRecord("d", List.of(), 1, 1, Double.NaN, null, 0))
                .hasMessageContaining("train_bits_per_token must be finite");
    }
}
