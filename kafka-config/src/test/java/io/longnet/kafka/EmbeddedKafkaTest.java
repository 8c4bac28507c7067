package io.longnet.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Against a real in-process KRaft broker: one started for the whole class to keep the run short. */
class EmbeddedKafkaTest {
    private static final Duration POLL_LIMIT = Duration.ofSeconds(20);

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void createsTheFourTopicsOnceAndReportsThemAsExistingTheSecondTime() throws Exception {
        TopicNames names = new TopicNames("it.documents", "it.embeddings", "it.predictions", "it.dead-letters");
        List<TopicSpec> specs = Topics.specs(names, 2, 1);

        TopicAdmin.CreateResult first = TopicAdmin.createAll(kafka.clientSettings().toProperties(), specs);
        TopicAdmin.CreateResult second = TopicAdmin.createAll(kafka.clientProperties(), specs);

        assertThat(first.created()).containsExactlyElementsOf(names.all());
        assertThat(first.existed()).isEmpty();
        assertThat(second.created()).isEmpty();
        assertThat(second.existed()).containsExactlyElementsOf(names.all());
        assertTopicOnBroker(names.documents(), 2, "2592000000");
        assertTopicOnBroker(names.predictions(), 2, "604800000");
    }

    private static void assertTopicOnBroker(String topic, int partitions, String retentionMs) throws Exception {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(description.partitions()).hasSize(partitions);
            assertThat(config.get("retention.ms").value()).isEqualTo(retentionMs);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("delete");
        }
    }

    @Test
    void readCommittedSeesOnlyCommittedTransactions() {
        String topic = "it.transactions";
        TopicAdmin.createAll(kafka.clientProperties(), List.of(new TopicSpec(topic, 1, 1, Map.of())));
        try (KafkaProducer<String, String> producer = transactionalProducer()) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed"));
            producer.commitTransaction();
        }
        // read_uncommitted proves the aborted record really reached the log, so its absence below means something.
        assertThat(readAll(topic, "read_uncommitted")).containsExactly("aborted", "committed");
        assertThat(readAll(topic, "read_committed")).containsExactly("committed");
    }

    /**
     * What a sink commits in one transaction is read whole by readToEnd, however many polls it takes: an extra
     * record (a duplicate) committed with the awaited ones cannot be missed by waiting too briefly.
     */
    @Test
    void theOutputReaderReadsEverythingCommittedUpToNow() {
        TopicNames names = new TopicNames("it.rte.documents", "it.rte.embeddings", "it.rte.predictions",
                "it.rte.dead-letters");
        TopicAdmin.createAll(kafka.clientProperties(), Topics.specs(names, 2, 1));
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it.rte");
        int records = 3000; // several polls' worth (max.poll.records is 500)
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < records; i++) {
                EmbeddingOut e = new EmbeddingOut("doc-" + i, "s", i, 1, new float[] {i}, "m");
                producer.send(new ProducerRecord<>(names.embeddings(), e.id().getBytes(), e.toJson()));
            }
            producer.commitTransaction();
        }
        try (OutputReader reader = new OutputReader(kafka.clientProperties(), names)) {
            // commitTransaction returns before the brokers have written the commit markers, and until then the
            // last stable offset leaves the transaction out: the first read that sees any of it must see all
            assertThat(firstNonEmptyRead(reader, Duration.ofSeconds(60))).isEqualTo(records);
            assertThat(reader.embeddings()).hasSize(records);
            assertThat(reader.readToEnd(Duration.ofSeconds(60))).isZero();
        }
    }

    private static int firstNonEmptyRead(OutputReader reader, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int read = 0;
        while (read == 0 && System.nanoTime() < deadline) {
            read = reader.readToEnd(timeout);
        }
        return read;
    }

    @Test
    void wireRecordsTravelThroughTheBrokerUnchanged() {
        String topic = "it.embeddings-roundtrip";
        TopicAdmin.createAll(kafka.clientProperties(), List.of(new TopicSpec(topic, 1, 1, Map.of())));
        EmbeddingOut sent = new EmbeddingOut("doc-1", "news", 4096L, 12, new float[] {0.25f, -0.0f, 1.0e-40f}, "m@1");
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.send(new ProducerRecord<>(topic, sent.id().getBytes(), sent.toJson()));
        }
        Properties consumerProps = consumerProps("read_committed");
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
            List<byte[]> values = drain(consumer, topic);
            assertThat(values).hasSize(1);
            assertThat(EmbeddingOut.fromJson(values.get(0))).isEqualTo(sent);
        }
    }

    @Test
    void keepsItsDataInAGivenLogDirAfterClose(@TempDir Path dir) throws Exception {
        Path logDir = dir.resolve("kafka");
        try (EmbeddedKafka own = EmbeddedKafka.start(logDir)) {
            TopicAdmin.createAll(own.clientProperties(), List.of(new TopicSpec("it.kept", 1, 1, Map.of())));
        }
        try (var paths = Files.walk(logDir)) {
            assertThat(paths.filter(Files::isDirectory).map(p -> p.getFileName().toString()))
                    .contains("it.kept-0");
        }
    }

    @Test
    void refusesANonEmptyLogDirBeforeStartingAnything(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("leftover"), "x");
        assertThatThrownBy(() -> EmbeddedKafka.start(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Kafka log dir " + dir + " is not empty");
    }

    @Test
    void brokerAllowsHourLongTransactions() {
        assertThat(EmbeddedKafka.brokerConfig())
                .containsEntry("transaction.max.timeout.ms", "3600000")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("offsets.topic.replication.factor", "1");
    }

    @Test
    void brokerLimitsReportTheTransactionMaximumAndNothingForAnUnreachableBroker() {
        assertThat(BrokerLimits.transactionMaxTimeout(kafka.clientProperties(), Duration.ofSeconds(20)))
                .contains(EmbeddedKafka.TRANSACTION_MAX_TIMEOUT);
        Properties nowhere = new Properties();
        nowhere.put("bootstrap.servers", "localhost:1");
        assertThat(BrokerLimits.transactionMaxTimeout(nowhere, Duration.ofMillis(500))).isEmpty();
    }

    @Test
    void brokerRunsTheKafka42ProductionMetadataVersion() throws Exception {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            FinalizedVersionRange metadata = admin.describeFeatures().featureMetadata().get()
                    .finalizedFeatures().get("metadata.version");
            assertThat(metadata.maxVersionLevel()).isEqualTo(MetadataVersion.IBP_4_2_IV1.featureLevel());
        }
        assertThat(EmbeddedKafka.METADATA_VERSION.version()).isEqualTo(EmbeddedKafka.METADATA_VERSION_NAME);
    }

    private static KafkaProducer<String, String> transactionalProducer() {
        Properties props = kafka.clientProperties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-kafka-test");
        // What the Flink sink asks for by default; the broker must accept it.
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "3600000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    private static List<String> readAll(String topic, String isolation) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(isolation))) {
            return drain(consumer, topic);
        }
    }

    private static Properties consumerProps(String isolation) {
        Properties props = kafka.clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return props;
    }

    /** Every record up to the partition's end offset (for read_committed: the last stable offset). */
    private static <V> List<V> drain(KafkaConsumer<String, V> consumer, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        List<V> values = new ArrayList<>();
        long deadline = System.nanoTime() + POLL_LIMIT.toNanos();
        while (consumer.position(partition) < end && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(200))) {
                values.add(record.value());
            }
        }
        assertThat(consumer.position(partition)).as("position in %s", topic).isGreaterThanOrEqualTo(end);
        return values;
    }
}
