package io.longnet.job;

import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.DocumentFailure;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes one wire record per element to a fixed topic: key = a string naming the record (the document
 * id for outputs), value = the record's v1 JSON. Kafka's default partitioner then sends all records
 * of one key to one partition.
 *
 * <p>It names its topic ({@link KafkaDatasetFacetProvider}): an exactly-once sink with pooled transactional ids
 * looks for its own transactions left open by an earlier run in the topics its serializer names
 * ({@link CorpusJob#sink}).
 *
 * @param <T> the wire record type
 */
public final class KeyedJsonSerializer<T> implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final SerializableFunction<T, String> key;
    private final SerializableFunction<T, byte[]> value;

    private KeyedJsonSerializer(String topic, SerializableFunction<T, String> key, SerializableFunction<T, byte[]> value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    /** Embeddings, keyed by document id. */
    public static KeyedJsonSerializer<EmbeddingOut> embeddings(String topic) {
        return new KeyedJsonSerializer<>(topic, EmbeddingOut::id, EmbeddingOut::toJson);
    }

    /** Predictions, keyed by document id. */
    public static KeyedJsonSerializer<PredictionOut> predictions(String topic) {
        return new KeyedJsonSerializer<>(topic, PredictionOut::id, PredictionOut::toJson);
    }

    /** Dead letters have no trustworthy document id: keyed by their coordinates "topic/partition/offset". */
    public static KeyedJsonSerializer<DeadLetter> deadLetters(String topic) {
        return new KeyedJsonSerializer<>(topic, KeyedJsonSerializer::coordinates, DeadLetter::toJson);
    }

    /** Documents that parsed but got no outputs, keyed by document id. */
    public static KeyedJsonSerializer<DocumentFailure> documentFailures(String topic) {
        return new KeyedJsonSerializer<>(topic, DocumentFailure::id, DocumentFailure::toJson);
    }

    static String coordinates(DeadLetter letter) {
        return letter.sourceTopic() + "/" + letter.partition() + "/" + letter.offset();
    }

    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp, key.apply(element).getBytes(StandardCharsets.UTF_8),
                value.apply(element));
    }
}
