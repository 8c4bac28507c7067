package io.longnet.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longnet.compute.NativeThreadEnvironment;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone Flink session cluster on this machine: one JobManager process
 * ({@code StandaloneSessionClusterEntrypoint}) and TaskManager processes ({@code TaskManagerRunner}), each its own
 * JVM with the shaded job jar and Flink's jars on its system class path, reading the shared Flink configuration
 * ({@code docker/flink-config.yaml}) from {@code DIR/conf}. The processes outlive the command that started them;
 * their pid files in {@code DIR/pids} let a later command find and stop them. Each process inherits this one's
 * environment plus {@link NativeThreadEnvironment#REQUIRED} where it lacks them (a standalone Flink configuration
 * cannot set a process's environment).
 */
public final class LocalCluster {

    static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    static final String CONFIG_RESOURCE = "flink-config.yaml";
    static final String LOG4J_RESOURCE = "log4j-cluster.properties";
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ClusterSpec spec;
    private final List<String> classPath;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One running process of the cluster. */
    public record Member(String name, ProcessHandle process) {
        public long pid() {
            return process.pid();
        }
    }

    /** What the REST API's {@code /overview} says. */
    public record Overview(int taskManagers, int slotsTotal, int slotsAvailable, int jobsRunning) {
    }

    /** @param classPath the processes' class path ({@link ClusterClassPath#of}) */
    public LocalCluster(ClusterSpec spec, List<String> classPath) {
        this.spec = spec;
        this.classPath = List.copyOf(classPath);
    }

    public ClusterSpec spec() {
        return spec;
    }

    public String restUrl() {
        return "http://localhost:" + spec.restPort();
    }

    /**
     * Writes {@code DIR/conf}, starts the JobManager and the TaskManagers, and waits until all are registered. If
     * TaskManagers of this directory still run (their JobManager died), starts only the JobManager, and they register
     * with it.
     */
    public List<Member> start(Duration timeout) throws IOException, InterruptedException {
        Optional<Member> running = member(ClusterSpec.JOB_MANAGER);
        if (running.isPresent()) {
            throw new IllegalStateException("a cluster is already running in " + spec.dir() + " (jobmanager pid "
                    + running.get().pid() + "); stop it first");
        }
        List<Member> members = new ArrayList<>(members());
        requireFree("rest-port", spec.restPort());
        requireFree("rpc-port", spec.rpcPort());
        requireFree("metrics-port", spec.metricsPort());
        int next = nextTaskManagerNumber();
        for (int n = next; n < next + spec.taskManagers() - members.size(); n++) {
            requireFree("metrics-port + " + n + " (" + ClusterSpec.taskManagerName(n) + ")", spec.metricsPort() + n);
        }
        writeConf();
        spec.save();
        members.add(0, startJobManager());
        int taskManagers = members.size() - 1;
        for (int i = taskManagers; i < spec.taskManagers(); i++) {
            members.add(startTaskManager());
        }
        awaitTaskManagers(members.size() - 1, timeout);
        return members;
    }

    /**
     * Refuses a port another process listens on before anything starts: the REST API of another cluster there
     * would answer for ours, and {@code submit} would go to it.
     */
    private void requireFree(String setting, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            throw new IllegalStateException(setting + " " + port + " is in use by another process (another Flink "
                    + "cluster?): stop it, or start this cluster in " + spec.dir() + " with other ports (" + e
                    + ")", e);
        }
    }

    /** Starts the JobManager (again, after it died: the TaskManagers register with the new one). */
    public Member startJobManager() throws IOException {
        Map<String, String> settings = spec.processSettings(ClusterSpec.JOB_MANAGER);
        return launch(ClusterSpec.JOB_MANAGER, JOB_MANAGER_MAIN, ProcessMemory.jobManager(spec.confDir(), settings),
                settings);
    }

    /** Starts one more TaskManager, numbered after every one this directory has seen. */
    public Member startTaskManager() throws IOException {
        String name = ClusterSpec.taskManagerName(nextTaskManagerNumber());
        Map<String, String> settings = spec.processSettings(name);
        return launch(name, TASK_MANAGER_MAIN, ProcessMemory.taskManager(spec.confDir(), settings), settings);
    }

    /** The live processes of this cluster directory, JobManager first. */
    public List<Member> members() throws IOException {
        List<Member> members = new ArrayList<>();
        for (String name : pidFileNames()) {
            member(name).ifPresent(members::add);
        }
        return members;
    }

    public Optional<Member> member(String name) throws IOException {
        Path pidFile = pidFile(name);
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        return ProcessHandle.of(pid).filter(p -> startedOn(p.info().commandLine(), spec.confDir()))
                .map(p -> new Member(name, p));
    }

    /**
     * Whether a process with this command line was started on the configuration in {@code confDir}. A pid is reused
     * after its process exits, so only such a process is ours; one whose command line cannot be read (empty) is not
     * provably ours, and stopping a stranger is worse than leaving it.
     */
    static boolean startedOn(Optional<String> commandLine, Path confDir) {
        return commandLine.map(c -> c.contains(confDir.toString())).orElse(false);
    }

    /**
     * Stops every process of the cluster (SIGTERM, then SIGKILL after {@link #STOP_TIMEOUT}), the TaskManagers
     * first and the JobManager once they are gone; returns them in that order.
     */
    public List<Member> stop() throws IOException, InterruptedException {
        // TaskManagers first, so that none re-registers while the JobManager goes.
        List<Member> taskManagers = members().stream().filter(m -> !m.name().equals(ClusterSpec.JOB_MANAGER))
                .toList();
        taskManagers.forEach(m -> m.process().destroy());
        for (Member m : taskManagers) {
            awaitExit(m);
        }
        List<Member> order = new ArrayList<>(taskManagers);
        Optional<Member> jobManager = member(ClusterSpec.JOB_MANAGER);
        if (jobManager.isPresent()) {
            jobManager.get().process().destroy();
            awaitExit(jobManager.get());
            order.add(jobManager.get());
        }
        for (String name : pidFileNames()) {
            Files.deleteIfExists(pidFile(name));
        }
        return order;
    }

    private static void awaitExit(Member m) throws InterruptedException {
        try {
            m.process().onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warn("{} (pid {}) did not stop within {}; killing it", m.name(), m.pid(), STOP_TIMEOUT);
            m.process().destroyForcibly();
            m.process().onExit().join();
        }
    }

    /** The REST API's overview, if the JobManager answers. */
    public Optional<Overview> overview() throws InterruptedException {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(restUrl() + "/overview"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode o = JSON.readTree(response.body());
            return Optional.of(new Overview(o.path("taskmanagers").asInt(), o.path("slots-total").asInt(),
                    o.path("slots-available").asInt(), o.path("jobs-running").asInt()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The names of the TaskManagers registered with the JobManager, and their free slots. */
    public Map<String, Integer> registeredTaskManagers() throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(restUrl() + "/taskmanagers"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + restUrl() + "/taskmanagers answered " + response.statusCode());
        }
        Map<String, Integer> free = new TreeMap<>();
        JSON.readTree(response.body()).path("taskmanagers")
                .forEach(tm -> free.put(tm.path("id").asText(), tm.path("freeSlots").asInt()));
        return free;
    }

    /** Waits until the TaskManager named {@code name} is registered with the JobManager. */
    public void awaitRegistered(String name, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!registeredTaskManagers().containsKey(name)) {
            if (member(name).isEmpty()) {
                throw new IllegalStateException(name + " exited; see " + logFile(name) + " and " + outFile(name));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not register within " + timeout + "; see " + logFile(name));
            }
            Thread.sleep(200);
        }
    }

    /** Waits until the JobManager answers and {@code count} TaskManagers are registered with it. */
    public void awaitTaskManagers(int count, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            // Our JobManager first: an answer on the REST port from a process that is not ours proves nothing.
            requireJobManagerAlive();
            Optional<Overview> overview = overview();
            if (overview.isPresent() && overview.get().taskManagers() >= count) {
                requireJobManagerAlive();
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster in " + spec.dir() + " has "
                        + overview.map(o -> o.taskManagers() + " TaskManagers").orElse("no REST API on " + restUrl())
                        + " after " + timeout + ", expected " + count + "; logs in " + spec.logDir());
            }
            Thread.sleep(250);
        }
    }

    private void requireJobManagerAlive() throws IOException {
        if (member(ClusterSpec.JOB_MANAGER).isEmpty()) {
            throw new IllegalStateException("the JobManager exited; see " + logFile(ClusterSpec.JOB_MANAGER) + " and "
                    + outFile(ClusterSpec.JOB_MANAGER));
        }
    }

    public Path logFile(String name) {
        return spec.logDir().resolve(name + ".log");
    }

    public Path outFile(String name) {
        return spec.logDir().resolve(name + ".out");
    }

    private void writeConf() throws IOException {
        Files.createDirectories(spec.confDir());
        copyResource(CONFIG_RESOURCE, spec.confDir().resolve("config.yaml"));
        copyResource(LOG4J_RESOURCE, spec.confDir().resolve("log4j.properties"));
    }

    private static void copyResource(String resource, Path target) throws IOException {
        try (InputStream in = LocalCluster.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the build");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Member launch(String name, String mainClass, ProcessMemory.Launch memory, Map<String, String> settings)
            throws IOException {
        Files.createDirectories(spec.logDir());
        Files.createDirectories(spec.pidDir());
        Files.createDirectories(Path.of(settings.get("io.tmp.dirs")));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(memory.jvmOptions());
        command.add("-Dlog.file=" + logFile(name));
        command.add("-Dlog4j.configurationFile=" + spec.confDir().resolve("log4j.properties").toUri());
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classPath));
        command.add(mainClass);
        command.add("--configDir");
        command.add(spec.confDir().toString());
        command.addAll(memory.dynamicSettings());
        settings.forEach((key, value) -> {
            command.add("-D");
            command.add(key + "=" + value);
        });
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile(name).toFile()));
        // What env.java.opts.all is to --add-modules: the native libraries read these when they load.
        NativeThreadEnvironment.addMissing(builder.environment());
        Process process = builder.start();
        Files.writeString(pidFile(name), Long.toString(process.pid()));
        LOG.info("Started {} (pid {}), log {}", name, process.pid(), logFile(name));
        return new Member(name, process.toHandle());
    }

    private int nextTaskManagerNumber() throws IOException {
        return pidFileNames().stream().filter(n -> n.startsWith(ClusterSpec.TASK_MANAGER_PREFIX))
                .mapToInt(n -> Integer.parseInt(n.substring(ClusterSpec.TASK_MANAGER_PREFIX.length())))
                .max().orElse(0) + 1;
    }

    /** The names of the processes with a pid file, JobManager first, TaskManagers by number. */
    private List<String> pidFileNames() throws IOException {
        if (!Files.isDirectory(spec.pidDir())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(spec.pidDir())) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".pid"))
                    .map(n -> n.substring(0, n.length() - ".pid".length()))
                    .sorted((a, b) -> Integer.compare(order(a), order(b))).toList();
        }
    }

    private static int order(String name) {
        return name.equals(ClusterSpec.JOB_MANAGER) ? 0
                : Integer.parseInt(name.substring(ClusterSpec.TASK_MANAGER_PREFIX.length()));
    }

    private Path pidFile(String name) {
        return spec.pidDir().resolve(name + ".pid");
    }
}
