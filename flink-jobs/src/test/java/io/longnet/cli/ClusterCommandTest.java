package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.cluster.ClusterSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterCommandTest {

    private static final Set<String> FLAGS = Set.of("dir", "taskmanagers", "slots", "rest-port", "rpc-port",
            "metrics-port", "jobmanager-memory", "taskmanager-memory");

    @TempDir
    Path dir;

    private static Args args(String... argv) {
        return new Args("cluster start", List.of(argv), FLAGS);
    }

    @Test
    void aNewDirectoryGetsTheDefaults() throws Exception {
        assertThat(ClusterCommand.spec(args("--dir", dir.toString())))
                .isEqualTo(new ClusterSpec(dir, 1, 2, 8081, 6123, 9249, "1g", "2g", Map.of()));
    }

    @Test
    void aSecondStartInADirectoryKeepsItsSettingsUnlessFlagsChangeThem() throws Exception {
        new ClusterSpec(dir, 3, 1, 18081, 16123, 19249, "768m", "1g", Map.of("heartbeat.timeout", "20 s")).save();

        assertThat(ClusterCommand.spec(args("--dir", dir.toString(), "--slots", "4")))
                .isEqualTo(new ClusterSpec(dir, 3, 4, 18081, 16123, 19249, "768m", "1g",
                        Map.of("heartbeat.timeout", "20 s")));
    }
}
