package io.longnet.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-node Kafka (KRaft, broker and controller in one process) running inside this JVM,
 * for the demo and the tests. Set up so that transactions work on one node, since the Flink
 * exactly-once sink writes through them.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *     TopicAdmin.createAll(kafka.clientProperties(), Topics.specs(TopicNames.defaults(), 1, 1));
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements KafkaBroker {
    /** Flink's KafkaSink defaults to 1 hour transactions; the broker's own default cap is 15 minutes. */
    public static final Duration TRANSACTION_MAX_TIMEOUT = Duration.ofHours(1);
    /** The metadata.version the node is formatted with: the latest production version of Kafka 4.2. */
    public static final MetadataVersion METADATA_VERSION = MetadataVersion.IBP_4_2_IV1;
    static final String METADATA_VERSION_NAME = "4.2-IV1";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final KafkaClusterTestKit cluster;
    private final String bootstrapServers;
    private final String baseDirectory;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
        this.bootstrapServers = cluster.bootstrapServers();
        this.baseDirectory = cluster.nodes().baseDirectory();
    }

    /** Starts a broker in a fresh temporary directory that is deleted on {@link #close()}. */
    public static EmbeddedKafka start() {
        return start(null);
    }

    /**
     * Starts a broker whose data lives in {@code logDir}, which must be absent or empty (the node
     * is formatted on every start) and is kept after {@link #close()} for inspection.
     */
    public static EmbeddedKafka start(Path logDir) {
        TestKitNodes.Builder nodes = new TestKitNodes.Builder(bootstrapMetadata())
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1);
        if (logDir != null) {
            requireEmpty(logDir);
            nodes.setBaseDirectory(logDir.toAbsolutePath());
        }
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build())
                .setDeleteOnClose(logDir == null);
        brokerConfig().forEach(builder::setConfigProp);
        return new EmbeddedKafka(startCluster(builder));
    }

    /**
     * metadata.version {@value #METADATA_VERSION_NAME} with every production feature (transaction.version,
     * group.version, ...) at its default level for that version: what a real 4.2 cluster formats with.
     * The test kit would otherwise bootstrap its unreleased "testing" version (4.3-IV0 in 4.2.0).
     */
    static BootstrapMetadata bootstrapMetadata() {
        Map<String, Short> levels = new TreeMap<>();
        for (Feature feature : Feature.PRODUCTION_FEATURES) {
            levels.put(feature.featureName(), feature.defaultLevel(METADATA_VERSION));
        }
        return BootstrapMetadata.fromVersions(METADATA_VERSION, levels, "longnet embedded Kafka");
    }

    /**
     * The node's settings. Every internal topic gets one replica and one partition: one replica
     * because there is one node, one partition because creating the default 50 costs seconds.
     */
    static Map<String, String> brokerConfig() {
        Map<String, String> config = new TreeMap<>();
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("transaction.state.log.num.partitions", "1");
        config.put("transaction.max.timeout.ms", Long.toString(TRANSACTION_MAX_TIMEOUT.toMillis()));
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("default.replication.factor", "1");
        config.put("min.insync.replicas", "1");
        // A lone consumer should not wait 3 s for group members that will never come.
        config.put("group.initial.rebalance.delay.ms", "0");
        // Two cores on the build machines; the default thread pools only add startup time.
        config.put("num.network.threads", "2");
        config.put("num.io.threads", "2");
        config.put("num.recovery.threads.per.data.dir", "1");
        config.put("background.threads", "2");
        return config;
    }

    private static KafkaClusterTestKit startCluster(KafkaClusterTestKit.Builder builder) {
        KafkaClusterTestKit cluster = null;
        try {
            cluster = builder.build();
            formatQuietly(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
            awaitGroupCoordinator(cluster.bootstrapServers());
            LOG.info("Embedded Kafka ready at {} (data in {})", cluster.bootstrapServers(), cluster.nodes().baseDirectory());
            return cluster;
        } catch (Exception e) {
            closeQuietly(cluster, e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("embedded Kafka failed to start: " + e, e);
        }
    }

    /**
     * Asks for a consumer group's offsets, which makes the broker create __consumer_offsets and elect its
     * coordinator now. Otherwise the first offset commits of a job (Flink's source commits at every checkpoint)
     * fail with COORDINATOR_NOT_AVAILABLE while that happens, each logging a warning.
     */
    private static void awaitGroupCoordinator(String bootstrapServers) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(props)) {
            admin.listConsumerGroupOffsets("longnet-embedded-kafka-warm-up")
                    .partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Formats the node's storage. Kafka's formatter reports on System.out (it is the kafka-storage
     * command's code); those lines go to this class's debug log instead, so the demo's output stays readable.
     */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(report, true, StandardCharsets.UTF_8));
        try {
            cluster.format();
        } finally {
            System.setOut(stdout);
        }
        LOG.debug("Kafka storage format: {}", report.toString(StandardCharsets.UTF_8).strip());
    }

    private static void closeQuietly(KafkaClusterTestKit cluster, Exception cause) {
        if (cluster == null) {
            return;
        }
        try {
            cluster.close();
        } catch (Exception closeFailure) {
            cause.addSuppressed(closeFailure);
        }
    }

    private static void requireEmpty(Path logDir) {
        if (!Files.exists(logDir)) {
            return;
        }
        if (!Files.isDirectory(logDir)) {
            throw new IllegalArgumentException("Kafka log dir " + logDir + " is not a directory");
        }
        try (Stream<Path> entries = Files.list(logDir)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException("Kafka log dir " + logDir
                        + " is not empty; the embedded broker formats its storage on every start, so give it a fresh directory");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list Kafka log dir " + logDir, e);
        }
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Client settings for this broker, for code that takes {@link KafkaClientSettings}. */
    public KafkaClientSettings clientSettings() {
        return KafkaClientSettings.builder().bootstrapServers(bootstrapServers).build();
    }

    /** Stops the node; deletes its data only if it was started without a log dir. */
    @Override
    public void close() {
        try {
            cluster.close();
            LOG.info("Embedded Kafka at {} stopped", bootstrapServers);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("embedded Kafka at " + bootstrapServers + " (data in " + baseDirectory
                    + ") failed to stop cleanly: " + e, e);
        }
    }
}
