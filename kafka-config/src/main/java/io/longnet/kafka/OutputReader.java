package io.longnet.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Reads the pipeline's three output topics from the beginning with an {@code read_committed} consumer
 * (no group, no offset commits), so it sees exactly what the exactly-once sinks committed. Keeps every
 * record it has read, in the order read. Not thread-safe.
 *
 * <pre>{@code
 * try (OutputReader out = new OutputReader(kafka.clientProperties(), names)) {
 *     while (out.embeddings().size() < expected) {
 *         out.poll(Duration.ofMillis(500));
 *     }
 * }
 * }</pre>
 */
public final class OutputReader implements AutoCloseable {
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicNames topics;
    private final List<EmbeddingOut> embeddings = new ArrayList<>();
    private final List<PredictionOut> predictions = new ArrayList<>();
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private final List<DocumentFailure> documentFailures = new ArrayList<>();
    private final Map<String, Long> streamPositions = new TreeMap<>();
    private long tokens;

    /** @param clientProps bootstrap servers and security settings; copied, not modified */
    public OutputReader(Properties clientProps, TopicNames topics) {
        this.topics = topics;
        Properties props = new Properties();
        props.putAll(clientProps);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.embeddings(), topics.predictions(), topics.deadLetters())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                consumer.close();
                throw new IllegalStateException("output topic " + topic + " does not exist (create the topics first)");
            }
            infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Reads what is committed, waiting at most {@code timeout} for the first records.
     *
     * @return how many records were read
     * @throws WireFormatException if an output record is not a v1 record of its topic's type
     */
    public int poll(Duration timeout) {
        int read = 0;
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            accept(record.topic(), record.value());
            read++;
        }
        return read;
    }

    /**
     * Reads every record committed up to now: to each partition's last stable offset (a read_committed consumer's
     * end offset), so whatever was committed with the records awaited (a duplicate above all) is read, without a
     * wait that may be too short. The timeout only bounds a broker that does not answer. A transaction counts once
     * its commit markers are written, which the brokers do after the producer's commit call has returned.
     *
     * @return how many records were read
     * @throws IllegalStateException if that end is not reached within {@code timeout}
     */
    public int readToEnd(Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), METADATA_TIMEOUT);
        long deadline = System.nanoTime() + timeout.toNanos();
        int read = 0;
        while (!reached(end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the outputs' committed end " + end + " was not reached within "
                        + timeout);
            }
            read += poll(Duration.ofMillis(100));
        }
        return read;
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), METADATA_TIMEOUT) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void accept(String topic, byte[] value) {
        if (topic.equals(topics.embeddings())) {
            EmbeddingOut embedding = EmbeddingOut.fromJson(value);
            embeddings.add(embedding);
            tokens += embedding.tokenCount();
            streamPositions.merge(embedding.stream(), embedding.firstPosition() + embedding.tokenCount(), Math::max);
        } else if (topic.equals(topics.predictions())) {
            predictions.add(PredictionOut.fromJson(value));
        } else if (DocumentFailure.isDocumentFailure(value)) {
            documentFailures.add(DocumentFailure.fromJson(value));
        } else {
            deadLetters.add(DeadLetter.fromJson(value));
        }
    }

    public List<EmbeddingOut> embeddings() {
        return Collections.unmodifiableList(embeddings);
    }

    public List<PredictionOut> predictions() {
        return Collections.unmodifiableList(predictions);
    }

    public List<DeadLetter> deadLetters() {
        return Collections.unmodifiableList(deadLetters);
    }

    /** The dead-letter topic's documents that parsed but got no outputs. */
    public List<DocumentFailure> documentFailures() {
        return Collections.unmodifiableList(documentFailures);
    }

    /** Document tokens covered by the embeddings read so far (separators not counted). */
    public long tokens() {
        return tokens;
    }

    /** Per stream: the stream position one past the last token of its latest embedded document. */
    public Map<String, Long> streamPositions() {
        return Collections.unmodifiableMap(streamPositions);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
