package io.longnet.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSpecTest {

    @TempDir
    Path dir;

    private ClusterSpec spec(Map<String, String> settings) {
        return new ClusterSpec(dir, 2, 3, 8081, 6123, 9249, "1g", "1536m", settings);
    }

    @Test
    void eachProcessGetsTheClusterPortsItsOwnMetricsPortAndDirectoriesUnderTheClusterDirectory() {
        ClusterSpec spec = spec(Map.of("heartbeat.timeout", "5 s"));

        Map<String, String> tm = spec.processSettings(ClusterSpec.taskManagerName(2));

        assertThat(tm).containsEntry("rest.port", "8081").containsEntry("jobmanager.rpc.port", "6123")
                .containsEntry("taskmanager.numberOfTaskSlots", "3")
                .containsEntry("taskmanager.memory.process.size", "1536m")
                .containsEntry("jobmanager.memory.process.size", "1g")
                .containsEntry("metrics.reporter.prom.port", "9251")
                .containsEntry("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString())
                .containsEntry("io.tmp.dirs", dir.resolve("tmp").resolve("taskmanager-2").toString())
                .containsEntry("taskmanager.resource-id", "taskmanager-2")
                .containsEntry("heartbeat.timeout", "5 s");
        assertThat(spec.processSettings(ClusterSpec.JOB_MANAGER)).containsEntry("metrics.reporter.prom.port", "9249")
                .doesNotContainKey("taskmanager.resource-id");
    }

    @Test
    void settingsGivenOverrideTheDerivedOnes() {
        assertThat(spec(Map.of("rest.port", "9999")).processSettings(ClusterSpec.JOB_MANAGER))
                .containsEntry("rest.port", "9999");
    }

    @Test
    void aSavedSpecLoadsBackEqual() throws Exception {
        ClusterSpec spec = spec(Map.of("heartbeat.interval", "1 s"));
        spec.save();

        assertThat(ClusterSpec.load(dir)).isEqualTo(spec);
    }

    @Test
    void loadingWhereNoClusterWasStartedNamesTheDirectory() {
        assertThatThrownBy(() -> ClusterSpec.load(dir.resolve("none")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none");
    }

    @Test
    void badValuesAreRejectedNamingTheSettingAndValue() {
        assertThatThrownBy(() -> new ClusterSpec(dir, 0, 1, 8081, 6123, 9249, "1g", "1g", Map.of()))
                .hasMessage("taskmanagers must be >= 1, got 0");
        assertThatThrownBy(() -> new ClusterSpec(dir, 1, 1, 70000, 6123, 9249, "1g", "1g", Map.of()))
                .hasMessage("rest-port must be a port in 1..65535, got 70000");
        assertThatThrownBy(() -> new ClusterSpec(dir, 1, 1, 8081, 6123, 9249, "1g", "lots", Map.of()))
                .hasMessageContaining("taskmanager-memory").hasMessageContaining("'lots'");
        assertThatThrownBy(() -> spec(Map.of()).metricsPort("historyserver"))
                .hasMessageContaining("'historyserver'");
    }
}
