package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunFlagsTest {

    @Test
    void takesRunsOwnFlagsAndLeavesTheJobOptions() {
        RunFlags flags = RunFlags.parse(List.of("--bootstrap-servers", "k:9092", "--parallelism", "3", "--fresh",
                "--web-ui-port", "8081", "--metrics-port", "9249", "--chunk-size", "64"));

        assertThat(flags.parallelism()).isEqualTo(3);
        assertThat(flags.fresh()).isTrue();
        assertThat(flags.fromSavepoint()).isEmpty();
        assertThat(flags.webUiPort()).hasValue(8081);
        assertThat(flags.metricsPort()).hasValue(9249);
        assertThat(flags.jobArguments()).containsExactly("--bootstrap-servers", "k:9092", "--chunk-size", "64");
    }

    @Test
    void defaultsToOneSlotNoPortsAndResuming() {
        RunFlags flags = RunFlags.parse(List.of("--from-savepoint", "/sp/savepoint-1"));

        assertThat(flags.parallelism()).isEqualTo(1);
        assertThat(flags.fresh()).isFalse();
        assertThat(flags.fromSavepoint()).contains(Path.of("/sp/savepoint-1"));
        assertThat(flags.webUiPort()).isEmpty();
        assertThat(flags.metricsPort()).isEmpty();
        assertThat(flags.jobArguments()).isEmpty();
    }

    @Test
    void badValuesNameTheFlagAndTheValue() {
        assertThatThrownBy(() -> RunFlags.parse(List.of("--parallelism", "0")))
                .hasMessageContainingAll("--parallelism", "\"0\"");
        assertThatThrownBy(() -> RunFlags.parse(List.of("--web-ui-port", "70000")))
                .hasMessageContainingAll("--web-ui-port", "70000");
        assertThatThrownBy(() -> RunFlags.parse(List.of("--metrics-port")))
                .hasMessageContainingAll("--metrics-port", "needs a value");
        assertThatThrownBy(() -> RunFlags.parse(List.of("--web-ui-port", "8081", "--metrics-port", "8081")))
                .hasMessageContainingAll("--web-ui-port", "--metrics-port", "8081");
        assertThatThrownBy(() -> RunFlags.parse(List.of("--fresh", "--from-savepoint", "/sp/1")))
                .hasMessageContainingAll("--fresh", "--from-savepoint", "/sp/1");
    }

    @Test
    void checkpointDirIsALocalPathOrFileUri() {
        assertThat(RunCommand.checkpointRoot("file:///tmp/cp")).isEqualTo(Path.of("/tmp/cp"));
        assertThat(RunCommand.checkpointRoot("/tmp/cp")).isEqualTo(Path.of("/tmp/cp"));
        assertThat(RunCommand.checkpointRoot(null)).isEqualTo(Path.of(System.getProperty("user.home"), ".longnet", "checkpoints"));
        assertThatThrownBy(() -> RunCommand.checkpointRoot("s3://bucket/cp"))
                .hasMessageContainingAll("checkpoint-dir", "s3://bucket/cp");
    }
}
