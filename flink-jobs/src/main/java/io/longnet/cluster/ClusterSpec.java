package io.longnet.cluster;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * One standalone Flink session cluster on this machine ({@code longnet cluster start}): where it keeps its files
 * and which ports it listens on. Everything lives under {@code dir}: {@code conf/} (the shared Flink configuration
 * and the logging set-up), {@code log/} (one log per process), {@code pids/}, {@code checkpoints/} and
 * {@code savepoints/}, and {@code tmp/} (RocksDB's working directories).
 *
 * @param dir               the cluster's directory
 * @param taskManagers      TaskManager processes started with the cluster, >= 1
 * @param slots             task slots per TaskManager, >= 1
 * @param restPort          the web UI and REST API
 * @param rpcPort           the JobManager's RPC port (TaskManagers register there)
 * @param metricsPort       the JobManager's Prometheus endpoint; TaskManager n (from 1) listens on metricsPort + n
 * @param jobManagerMemory  {@code jobmanager.memory.process.size}, e.g. "1g"
 * @param taskManagerMemory {@code taskmanager.memory.process.size}, e.g. "2g"
 * @param settings          further Flink settings for every process, over the shared configuration
 */
public record ClusterSpec(Path dir, int taskManagers, int slots, int restPort, int rpcPort, int metricsPort,
        String jobManagerMemory, String taskManagerMemory, Map<String, String> settings) {

    public static final String JOB_MANAGER = "jobmanager";
    public static final String TASK_MANAGER_PREFIX = "taskmanager-";
    static final String SETTING_PREFIX = "flink.";

    public ClusterSpec {
        if (dir == null) {
            throw new IllegalArgumentException("the cluster directory must be set");
        }
        dir = dir.toAbsolutePath().normalize();
        requirePositive("taskmanagers", taskManagers);
        requirePositive("slots", slots);
        requirePort("rest-port", restPort);
        requirePort("rpc-port", rpcPort);
        requirePort("metrics-port", metricsPort);
        requireMemory("jobmanager-memory", jobManagerMemory);
        requireMemory("taskmanager-memory", taskManagerMemory);
        settings = Map.copyOf(settings);
    }

    /** Writes the spec to {@code DIR/conf/cluster.properties}, where {@link #load} finds it. */
    public void save() throws IOException {
        Properties p = new Properties();
        p.setProperty("taskmanagers", Integer.toString(taskManagers));
        p.setProperty("slots", Integer.toString(slots));
        p.setProperty("rest-port", Integer.toString(restPort));
        p.setProperty("rpc-port", Integer.toString(rpcPort));
        p.setProperty("metrics-port", Integer.toString(metricsPort));
        p.setProperty("jobmanager-memory", jobManagerMemory);
        p.setProperty("taskmanager-memory", taskManagerMemory);
        settings.forEach((k, v) -> p.setProperty(SETTING_PREFIX + k, v));
        Files.createDirectories(confDir());
        try (Writer out = Files.newBufferedWriter(specFile(dir))) {
            p.store(out, "longnet cluster start");
        }
    }

    /** Whether a cluster was started in {@code dir} (its spec was saved there). */
    public static boolean exists(Path dir) {
        return Files.exists(specFile(dir));
    }

    /** The spec of the cluster started in {@code dir}. */
    public static ClusterSpec load(Path dir) throws IOException {
        Path file = specFile(dir);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no cluster was started in " + dir + " (" + file + " is missing)");
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        }
        Map<String, String> settings = new LinkedHashMap<>();
        p.stringPropertyNames().stream().filter(k -> k.startsWith(SETTING_PREFIX))
                .forEach(k -> settings.put(k.substring(SETTING_PREFIX.length()), p.getProperty(k)));
        return new ClusterSpec(dir, intOf(p, "taskmanagers"), intOf(p, "slots"), intOf(p, "rest-port"),
                intOf(p, "rpc-port"), intOf(p, "metrics-port"), p.getProperty("jobmanager-memory"),
                p.getProperty("taskmanager-memory"), settings);
    }

    private static Path specFile(Path dir) {
        return dir.toAbsolutePath().normalize().resolve("conf").resolve("cluster.properties");
    }

    private static int intOf(Properties p, String key) {
        String v = p.getProperty(key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cluster.properties: " + key + " must be an integer, got '" + v + "'");
        }
    }

    public Path confDir() {
        return dir.resolve("conf");
    }

    public Path logDir() {
        return dir.resolve("log");
    }

    public Path pidDir() {
        return dir.resolve("pids");
    }

    public Path checkpointsDir() {
        return dir.resolve("checkpoints");
    }

    public Path savepointsDir() {
        return dir.resolve("savepoints");
    }

    /** The name of TaskManager {@code n} (from 1): its log, pid file and metrics port follow from it. */
    public static String taskManagerName(int n) {
        requirePositive("TaskManager number", n);
        return TASK_MANAGER_PREFIX + n;
    }

    /** The Prometheus port of the process named {@code name} ({@link #JOB_MANAGER} or a TaskManager's name). */
    public int metricsPort(String name) {
        if (name.equals(JOB_MANAGER)) {
            return metricsPort;
        }
        if (!name.startsWith(TASK_MANAGER_PREFIX)) {
            throw new IllegalArgumentException("not a process of the cluster: '" + name + "'");
        }
        return metricsPort + Integer.parseInt(name.substring(TASK_MANAGER_PREFIX.length()));
    }

    /**
     * The Flink settings of the process named {@code name}, over the shared configuration: addresses and ports,
     * slots, memory, the checkpoint, savepoint and temporary directories, then {@link #settings()}.
     */
    public Map<String, String> processSettings(String name) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("jobmanager.rpc.address", "localhost");
        s.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        s.put("jobmanager.bind-host", "localhost");
        s.put("taskmanager.host", "localhost");
        s.put("taskmanager.bind-host", "localhost");
        s.put("rest.address", "localhost");
        s.put("rest.bind-address", "localhost");
        s.put("rest.port", Integer.toString(restPort));
        s.put("taskmanager.numberOfTaskSlots", Integer.toString(slots));
        s.put("jobmanager.memory.process.size", jobManagerMemory);
        s.put("taskmanager.memory.process.size", taskManagerMemory);
        s.put("execution.checkpointing.dir", checkpointsDir().toUri().toString());
        s.put("execution.checkpointing.savepoint-dir", savepointsDir().toUri().toString());
        s.put("io.tmp.dirs", dir.resolve("tmp").resolve(name).toString());
        s.put("metrics.reporter.prom.port", Integer.toString(metricsPort(name)));
        if (!name.equals(JOB_MANAGER)) {
            // The web UI and REST API then name each TaskManager as its log and pid file do.
            s.put("taskmanager.resource-id", name);
        }
        s.putAll(settings);
        return s;
    }

    private static void requirePositive(String setting, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(setting + " must be >= 1, got " + value);
        }
    }

    private static void requirePort(String setting, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(setting + " must be a port in 1..65535, got " + port);
        }
    }

    private static void requireMemory(String setting, String size) {
        if (size == null || !size.strip().matches("(?i)\\d+\\s*([kmgt]b?|bytes?)?")) {
            throw new IllegalArgumentException(setting + " must be a memory size such as 1g or 1536m, got '"
                    + size + "'");
        }
    }
}
