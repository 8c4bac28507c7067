package io.longnet.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LocalCluster} against real processes and sockets, without Flink: what start and stop decide. */
class LocalClusterTest {

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * Another cluster answers on the REST port: start must refuse before it launches anything, naming the port,
     * not report that cluster's TaskManagers as its own (submit would then go to the other cluster).
     */
    @Test
    void startRefusesAPortInUseInsteadOfReportingAnotherCluster() throws Exception {
        HttpServer other = overviewServer(9);
        try {
            int port = other.getAddress().getPort();
            ClusterSpec spec = new ClusterSpec(dir, 1, 1, port, freePort(), freePort(), "1g", "1g", Map.of());
            LocalCluster cluster = new LocalCluster(spec, List.of(dir.resolve("no-such.jar").toString()));
            assertThatThrownBy(() -> cluster.start(Duration.ofSeconds(20)))
                    .hasMessageContainingAll("rest-port", Integer.toString(port), "in use");
            assertThat(cluster.members()).isEmpty();
        } finally {
            other.stop(0);
        }
    }

    /**
     * stop sends SIGTERM to the TaskManagers and waits for them before the JobManager gets its own, so that none
     * re-registers while the JobManager goes. The stand-in TaskManager takes a moment to exit; the stand-in
     * JobManager records, when its SIGTERM comes, whether the TaskManager still runs.
     */
    @Test
    void stopEndsTheTaskManagersBeforeTheJobManager() throws Exception {
        ClusterSpec spec = new ClusterSpec(dir, 1, 1, freePort(), freePort(), freePort(), "1g", "1g", Map.of());
        Files.createDirectories(spec.pidDir());
        Files.createDirectories(spec.confDir());
        String conf = spec.confDir().toString();
        Process taskManager = new ProcessBuilder("sh", "-c",
                "trap 'sleep 1; exit 0' TERM; while :; do sleep 0.1; done", "taskmanager", conf).start();
        Path seen = dir.resolve("seen-at-jobmanager-stop");
        Process jobManager = new ProcessBuilder("sh", "-c", "trap 'if kill -0 " + taskManager.pid()
                + " 2>/dev/null; then echo running > " + seen + "; else echo gone > " + seen + "; fi; exit 0' TERM; "
                + "while :; do sleep 0.1; done", "jobmanager", conf).start();
        Files.writeString(spec.pidDir().resolve(ClusterSpec.JOB_MANAGER + ".pid"), Long.toString(jobManager.pid()));
        Files.writeString(spec.pidDir().resolve(ClusterSpec.taskManagerName(1) + ".pid"),
                Long.toString(taskManager.pid()));
        LocalCluster cluster = new LocalCluster(spec, List.of());
        assertThat(cluster.members()).hasSize(2);

        cluster.stop();

        assertThat(Files.readString(seen).strip()).isEqualTo("gone");
        assertThat(jobManager.isAlive() || taskManager.isAlive()).isFalse();
    }

    /** A pid whose command line does not name this cluster's configuration is not ours, whatever it is. */
    @Test
    void aProcessThatIsNotProvablyOursIsLeftAlone() throws Exception {
        ClusterSpec spec = new ClusterSpec(dir, 1, 1, freePort(), freePort(), freePort(), "1g", "1g", Map.of());
        Files.createDirectories(spec.pidDir());
        Process stranger = new ProcessBuilder("sh", "-c", "while :; do sleep 0.1; done").start();
        try {
            Files.writeString(spec.pidDir().resolve(ClusterSpec.JOB_MANAGER + ".pid"), Long.toString(stranger.pid()));
            assertThat(new LocalCluster(spec, List.of()).member(ClusterSpec.JOB_MANAGER)).isEmpty();
        } finally {
            stranger.destroyForcibly().waitFor();
        }
    }

    /** A process whose command line cannot be read is not provably ours: it is left alone, never stopped. */
    @Test
    void aProcessWhoseCommandLineCannotBeReadIsNotOurs() {
        Path conf = dir.resolve("conf");
        assertThat(LocalCluster.startedOn(Optional.empty(), conf)).isFalse();
        assertThat(LocalCluster.startedOn(Optional.of("java -cp x Main --configDir /elsewhere"), conf))
                .isFalse();
        assertThat(LocalCluster.startedOn(Optional.of("java -cp x Main --configDir " + conf), conf)).isTrue();
    }

    /**
     * Another cluster answers on our REST port with enough TaskManagers while our JobManager is gone: waiting for
     * TaskManagers must fail naming the JobManager, not count the other cluster's as ours.
     */
    @Test
    void awaitingTaskManagersFailsWhenOurJobManagerIsGoneWhateverTheRestPortSays() throws Exception {
        HttpServer other = overviewServer(9);
        try {
            ClusterSpec spec = new ClusterSpec(dir, 1, 1, other.getAddress().getPort(), freePort(), freePort(), "1g",
                    "1g", Map.of());
            Files.createDirectories(spec.pidDir());
            LocalCluster cluster = new LocalCluster(spec, List.of());
            assertThatThrownBy(() -> cluster.awaitTaskManagers(1, Duration.ofSeconds(10)))
                    .hasMessageContaining("the JobManager exited");
        } finally {
            other.stop(0);
        }
    }

    /** An HTTP server on a free port whose {@code /overview} reports {@code taskManagers} TaskManagers. */
    private static HttpServer overviewServer(int taskManagers) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(0), 0);
        byte[] overview = ("{\"taskmanagers\": " + taskManagers + ", \"slots-total\": " + taskManagers
                + ", \"slots-available\": " + taskManagers + ", \"jobs-running\": 0}").getBytes(StandardCharsets.UTF_8);
        server.createContext("/overview", exchange -> {
            exchange.sendResponseHeaders(200, overview.length);
            exchange.getResponseBody().write(overview);
            exchange.close();
        });
        server.start();
        return server;
    }
}
