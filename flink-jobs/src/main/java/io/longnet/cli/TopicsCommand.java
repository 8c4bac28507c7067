package io.longnet.cli;

import io.longnet.kafka.KafkaClientSettings;
import io.longnet.kafka.TopicAdmin;
import io.longnet.kafka.TopicNames;
import io.longnet.kafka.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code longnet topics create [--bootstrap-servers H:P] [--properties FILE] [--partitions N] [--replication R]
 * [--documents-topic T ...]}: creates the four topics, idempotently; prints which were created and which existed.
 */
public final class TopicsCommand {

    static final String DEFAULT_BOOTSTRAP = "localhost:9092";

    private TopicsCommand() {
    }

    public static void run(List<String> argv) {
        if (argv.isEmpty() || !argv.get(0).equals("create")) {
            throw new Args.UsageException("topics: expected \"topics create [--flag value ...]\"");
        }
        Args args = new Args("topics create", argv.subList(1, argv.size()), Set.of("bootstrap-servers", "properties",
                "partitions", "replication", "documents-topic", "embeddings-topic", "predictions-topic",
                "dead-letters-topic"));
        KafkaClientSettings settings = settings(args);
        TopicNames defaults = TopicNames.defaults();
        TopicNames names = new TopicNames(
                args.optional("documents-topic", defaults.documents()),
                args.optional("embeddings-topic", defaults.embeddings()),
                args.optional("predictions-topic", defaults.predictions()),
                args.optional("dead-letters-topic", defaults.deadLetters()));
        int partitions = args.positiveInt("partitions", 1);
        int replication = args.positiveInt("replication", 1);
        TopicAdmin.CreateResult result = TopicAdmin.createAll(settings.toProperties(),
                Topics.specs(names, partitions, replication));
        result.created().forEach(t -> System.out.println("created " + t));
        result.existed().forEach(t -> System.out.println("existed " + t + " (left as it is)"));
    }

    /** The properties file if given; --bootstrap-servers over it; localhost:9092 if neither names servers. */
    static KafkaClientSettings settings(Args args) {
        KafkaClientSettings.Builder builder = KafkaClientSettings.builder();
        if (args.has("properties")) {
            builder.propertiesFile(Path.of(args.required("properties")));
        }
        if (args.has("bootstrap-servers")) {
            builder.bootstrapServers(args.required("bootstrap-servers"));
        }
        return builder.bootstrapServersIfUnset(DEFAULT_BOOTSTRAP).build();
    }
}
