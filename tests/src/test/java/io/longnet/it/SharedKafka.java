package io.longnet.it;

import io.longnet.kafka.EmbeddedKafka;

/**
 * One in-process Kafka broker for all integration tests of this JVM: starting one costs seconds, and every
 * test uses its own topics, consumer group and transactional ids, so they never see each other's records.
 */
final class SharedKafka {

    private static EmbeddedKafka kafka;

    private SharedKafka() {
    }

    static synchronized EmbeddedKafka get() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start();
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "embedded-kafka-shutdown"));
        }
        return kafka;
    }
}
