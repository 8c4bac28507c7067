package io.longnet.cli;

import io.longnet.cluster.ClusterClassPath;
import io.longnet.cluster.ClusterSpec;
import io.longnet.cluster.LocalCluster;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code longnet cluster start|stop|status [--dir DIR] ...}: a standalone Flink session cluster on this machine,
 * one JobManager and {@code --taskmanagers} TaskManager processes started from this build (see
 * {@link LocalCluster}). {@code longnet submit} runs the corpus job on it.
 */
public final class ClusterCommand {

    static final String DEFAULT_DIR = "longnet-cluster";
    /** Set by the {@code longnet} script: the shaded job jar of this build. */
    static final String JOB_JAR_PROPERTY = "longnet.jobJar";
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private static final Set<String> START_FLAGS = Set.of("dir", "taskmanagers", "slots", "rest-port", "rpc-port",
            "metrics-port", "jobmanager-memory", "taskmanager-memory", "job-jar");

    private ClusterCommand() {
    }

    public static void run(List<String> argv) throws Exception {
        if (argv.isEmpty()) {
            throw new Args.UsageException("cluster: expected start, add-taskmanager, stop or status");
        }
        List<String> rest = argv.subList(1, argv.size());
        switch (argv.get(0)) {
            case "start" -> start(new Args("cluster start", rest, START_FLAGS));
            case "add-taskmanager" -> addTaskManager(new Args("cluster add-taskmanager", rest, Set.of("dir", "job-jar")));
            case "stop" -> stop(existing(new Args("cluster stop", rest, Set.of("dir"))));
            case "status" -> status(existing(new Args("cluster status", rest, Set.of("dir"))));
            default -> throw new Args.UsageException("cluster: unknown subcommand " + argv.get(0)
                    + " (expected start, add-taskmanager, stop or status)");
        }
    }

    /**
     * The spec of {@code cluster start}'s flags. A flag not given keeps the value the cluster in {@code --dir} was last
     * started with, if it was, else the default a user gets: so a second start on a directory (its JobManager died)
     * uses the same ports and directories.
     */
    static ClusterSpec spec(Args args) throws IOException {
        Path dir = Path.of(args.optional("dir", DEFAULT_DIR));
        Optional<ClusterSpec> saved = ClusterSpec.exists(dir) ? Optional.of(ClusterSpec.load(dir)) : Optional.empty();
        return new ClusterSpec(dir,
                args.positiveInt("taskmanagers", saved.map(ClusterSpec::taskManagers).orElse(1)),
                args.positiveInt("slots", saved.map(ClusterSpec::slots).orElse(2)),
                args.positiveInt("rest-port", saved.map(ClusterSpec::restPort).orElse(8081)),
                args.positiveInt("rpc-port", saved.map(ClusterSpec::rpcPort).orElse(6123)),
                args.positiveInt("metrics-port", saved.map(ClusterSpec::metricsPort).orElse(9249)),
                args.optional("jobmanager-memory", saved.map(ClusterSpec::jobManagerMemory).orElse("1g")),
                args.optional("taskmanager-memory", saved.map(ClusterSpec::taskManagerMemory).orElse("2g")),
                saved.map(ClusterSpec::settings).orElse(Map.of()));
    }

    private static void start(Args args) throws Exception {
        ClusterSpec spec = spec(args);
        LocalCluster cluster = new LocalCluster(spec, classPath("cluster start", args));
        List<LocalCluster.Member> members = cluster.start(START_TIMEOUT);
        System.out.printf("cluster started in %s%n", spec.dir());
        members.forEach(m -> System.out.printf("  %-16s pid %-8d metrics http://localhost:%d/metrics%n", m.name(),
                m.pid(), spec.metricsPort(m.name())));
        System.out.printf("web UI and REST API: %s (%d TaskManagers, %d slots each)%n", cluster.restUrl(),
                spec.taskManagers(), spec.slots());
        System.out.printf("checkpoints and savepoints: %s, %s; logs: %s%n", spec.checkpointsDir(),
                spec.savepointsDir(), spec.logDir());
        System.out.printf("run the job: ./longnet submit --jobmanager localhost:%d --bootstrap-servers H:P --model DIR"
                + "%nstop: ./longnet cluster stop --dir %s%n", spec.restPort(), spec.dir());
    }

    /** One more TaskManager for the cluster in {@code --dir}, with the settings it was started with. */
    private static void addTaskManager(Args args) throws Exception {
        ClusterSpec spec = ClusterSpec.load(Path.of(args.optional("dir", DEFAULT_DIR)));
        LocalCluster cluster = new LocalCluster(spec, classPath("cluster add-taskmanager", args));
        LocalCluster.Member added = cluster.startTaskManager();
        cluster.awaitRegistered(added.name(), START_TIMEOUT);
        System.out.printf("started %s (pid %d), metrics http://localhost:%d/metrics%n", added.name(), added.pid(),
                spec.metricsPort(added.name()));
    }

    /** The processes' class path: the job jar ({@code --job-jar}, else this build's) and this JVM's Flink jars. */
    private static List<String> classPath(String command, Args args) {
        String jobJar = args.optional("job-jar", System.getProperty(JOB_JAR_PROPERTY));
        if (jobJar == null || !new File(jobJar).isFile()) {
            throw new Args.UsageException(command + ": --job-jar must name the shaded job jar (mvn install builds "
                    + "flink-jobs/target/*-job.jar), got " + jobJar);
        }
        return ClusterClassPath.of(jobJar, Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
    }

    private static void stop(LocalCluster cluster) throws Exception {
        List<LocalCluster.Member> stopped = cluster.stop();
        if (stopped.isEmpty()) {
            System.out.printf("no process of the cluster in %s is running%n", cluster.spec().dir());
        }
        stopped.forEach(m -> System.out.printf("stopped %s (pid %d)%n", m.name(), m.pid()));
    }

    private static void status(LocalCluster cluster) throws Exception {
        ClusterSpec spec = cluster.spec();
        List<LocalCluster.Member> members = cluster.members();
        System.out.printf("cluster in %s: %d processes running%n", spec.dir(), members.size());
        members.forEach(m -> System.out.printf("  %-16s pid %-8d metrics http://localhost:%d/metrics%n", m.name(),
                m.pid(), spec.metricsPort(m.name())));
        Optional<LocalCluster.Overview> overview = cluster.overview();
        if (overview.isPresent()) {
            LocalCluster.Overview o = overview.get();
            System.out.printf("%s: %d TaskManagers, %d of %d slots free, %d jobs running%n", cluster.restUrl(),
                    o.taskManagers(), o.slotsAvailable(), o.slotsTotal(), o.jobsRunning());
        } else {
            System.out.printf("%s: no answer%n", cluster.restUrl());
        }
    }

    /** The cluster started in {@code --dir}; stopping it or asking for its status needs no class path. */
    private static LocalCluster existing(Args args) throws Exception {
        return new LocalCluster(ClusterSpec.load(Path.of(args.optional("dir", DEFAULT_DIR))), List.of());
    }
}
