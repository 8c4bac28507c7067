package io.longnet.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An {@link EmbeddedKafka} broker in a JVM of its own, started with this JVM's class path: for measurements in
 * which a broker inside the measured JVM would share its compiler threads, heap and safepoints with the code
 * measured. The broker lives until its standard input closes, so it ends with the process that started it, or at
 * {@link #close()}; its output goes to {@code broker.log} in the given directory.
 */
public final class BrokerProcess implements KafkaBroker {

    /** The line the broker prints once it serves, followed by its bootstrap servers. */
    static final String READY = "longnet broker ready, bootstrap.servers=";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final String bootstrapServers;

    private BrokerProcess(Process process, String bootstrapServers) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts the broker JVM ({@code -Xmx} {@code heapMegabytes}) and waits up to {@code timeout} for it to serve.
     *
     * @param logDir where {@code broker.log} goes; created if absent
     */
    public static BrokerProcess start(Path logDir, int heapMegabytes, Duration timeout)
            throws IOException, InterruptedException {
        Files.createDirectories(logDir);
        Path log = logDir.resolve("broker.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Xmx" + heapMegabytes + "m", "-cp",
                System.getProperty("java.class.path"), BrokerProcess.class.getName()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> servers = readyLine(log);
            if (servers.isPresent()) {
                return new BrokerProcess(process, servers.get());
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("the broker process exited with " + process.exitValue()
                        + " before it served; its output is in " + log);
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new IllegalStateException("the broker process did not serve within " + timeout + "; its output is in "
                + log);
    }

    private static Optional<String> readyLine(Path log) throws IOException {
        if (!Files.exists(log)) {
            return Optional.empty();
        }
        // the log is written as the broker goes: a line is whole only once a newline follows it
        String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        int at = text.indexOf(READY);
        int end = at < 0 ? -1 : text.indexOf('\n', at);
        return end < 0 ? Optional.empty() : Optional.of(text.substring(at + READY.length(), end).strip());
    }

    /** The broker JVM's process id. */
    public long pid() {
        return process.pid();
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Closes the broker's standard input, so that it stops cleanly; kills it if it has not within 30 s. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The broker JVM: serves until its standard input closes. */
    public static void main(String[] args) throws IOException {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            System.out.println(READY + kafka.bootstrapServers());
            System.out.flush();
            while (System.in.read() != -1) {
                // nothing is sent: the read returns -1 when the starting process closes the pipe or dies
            }
        }
    }
}
