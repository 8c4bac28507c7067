package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubmitTargetTest {

    @TempDir
    Path dir;

    @Test
    void takesItsFlagsAndLeavesTheJobOptions() {
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", "k:9092", "--jobmanager", "host:18081",
                "--model", "/m", "--parallelism", "3", "--from-savepoint", "file:///sp/savepoint-1"));

        SubmitCommand.Target target = SubmitCommand.Target.take(args);

        assertThat(target).isEqualTo(new SubmitCommand.Target("host", 18081, 3, Optional.of("file:///sp/savepoint-1")));
        assertThat(args).containsExactly("--bootstrap-servers", "k:9092", "--model", "/m");
    }

    @Test
    void defaultsToTheLocalClusterAtParallelismOne() {
        assertThat(SubmitCommand.Target.take(new ArrayList<>()))
                .isEqualTo(new SubmitCommand.Target("localhost", 8081, 1, Optional.empty()));
    }

    @Test
    void fromLatestCheckpointResolvesTheNewestCompleteOne() throws Exception {
        Path chk = Files.createDirectories(dir.resolve("job").resolve("chk-5"));
        Files.writeString(chk.resolve("_metadata"), "x");

        SubmitCommand.Target target = SubmitCommand.Target.take(
                new ArrayList<>(List.of("--from-latest-checkpoint", dir.toString())));

        assertThat(target.restorePath()).contains(chk.toUri().toString());
    }

    @Test
    void mistakesNameTheFlag() {
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--jobmanager", "nohost"))))
                .hasMessageContaining("--jobmanager").hasMessageContaining("nohost");
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--parallelism", "0"))))
                .hasMessage("--parallelism must be >= 1, got 0");
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--from-latest-checkpoint",
                dir.toString())))).hasMessageContaining("no complete checkpoint");
        assertThatThrownBy(() -> SubmitCommand.Target.take(new ArrayList<>(List.of("--from-savepoint", "a",
                "--from-latest-checkpoint", dir.toString())))).hasMessageContaining("not both");
    }
}
