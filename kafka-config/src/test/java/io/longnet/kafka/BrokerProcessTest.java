package io.longnet.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broker JVM of its own: it serves a record sent to it, and it stops when closed. */
class BrokerProcessTest {

    @TempDir
    Path dir;

    @Test
    void servesInItsOwnJvmAndStopsWhenClosed() throws Exception {
        BrokerProcess broker = BrokerProcess.start(dir, 512, Duration.ofMinutes(2));
        try {
            Properties producerProps = broker.clientProperties();
            producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
                producer.send(new ProducerRecord<>("bp.topic", "k", "over the wire")).get();
            }
            Properties consumerProps = broker.clientProperties();
            consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps)) {
                TopicPartition partition = new TopicPartition("bp.topic", 0);
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                String read = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (read == null && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        read = r.value();
                    }
                }
                assertThat(read).isEqualTo("over the wire");
            }
            assertThat(broker.pid()).isNotEqualTo(ProcessHandle.current().pid());
            assertThat(ProcessHandle.of(broker.pid()).map(ProcessHandle::isAlive)).contains(true);
        } finally {
            broker.close();
        }
        assertThat(ProcessHandle.of(broker.pid()).map(ProcessHandle::isAlive).orElse(false))
                .as("the broker JVM after close").isFalse();
    }
}
