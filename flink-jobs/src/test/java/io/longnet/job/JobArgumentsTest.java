package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.kafka.KafkaClientSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobArgumentsTest {

    @Test
    void flagsOverrideTheJobOptionsFileAndKafkaSettingsComeFromTheirOwnFile(@TempDir Path dir) throws Exception {
        Path options = dir.resolve("job.properties");
        Files.writeString(options, "bootstrap-servers=file:9092\nmodel=/models/a\nchunk-size=64\n");
        Path kafka = dir.resolve("client.properties");
        Files.writeString(kafka, "security.protocol=SASL_SSL\nsasl.jaas.config=secret\nbootstrap.servers=other:1\n");

        JobArguments args = JobArguments.parse(List.of("--config", options.toString(), "--properties", kafka.toString(),
                "--chunk-size", "128", "--bootstrap-servers", "flag:9092"));
        JobConfig cfg = args.jobConfig();
        KafkaClientSettings settings = args.kafkaClientSettings(cfg);

        assertThat(cfg.chunkSize()).isEqualTo(128);
        assertThat(cfg.modelDir()).isEqualTo(Path.of("/models/a"));
        assertThat(settings.bootstrapServers()).isEqualTo("flag:9092");
        assertThat(settings.properties()).containsEntry("security.protocol", "SASL_SSL");
    }

    @Test
    void rejectsUnknownOptionsAndMissingValuesNamingTheFlag() {
        assertThatThrownBy(() -> JobArguments.parse(List.of("--chunksize", "3")))
                .hasMessageStartingWith("unknown job option 'chunksize'");
        assertThatThrownBy(() -> JobArguments.parse(List.of("--model")))
                .hasMessage("--model needs a value");
        assertThatThrownBy(() -> JobArguments.parse(List.of("model", "x")))
                .hasMessage("expected --option value, got 'model'");
    }
}
