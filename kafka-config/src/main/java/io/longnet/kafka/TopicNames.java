package io.longnet.kafka;

import java.util.List;

/** The names of the pipeline's four topics. All must be valid Kafka topic names and distinct. */
public record TopicNames(String documents, String embeddings, String predictions, String deadLetters) {

    public TopicNames {
        TopicSpec.checkName(documents, "documents");
        TopicSpec.checkName(embeddings, "embeddings");
        TopicSpec.checkName(predictions, "predictions");
        TopicSpec.checkName(deadLetters, "deadLetters");
        List<String> all = List.of(documents, embeddings, predictions, deadLetters);
        if (all.stream().distinct().count() != all.size()) {
            throw new IllegalArgumentException("topic names must be distinct, got " + all);
        }
    }

    public static TopicNames defaults() {
        return new TopicNames("longnet.documents", "longnet.embeddings", "longnet.predictions", "longnet.dead-letters");
    }

    public List<String> all() {
        return List.of(documents, embeddings, predictions, deadLetters);
    }
}
