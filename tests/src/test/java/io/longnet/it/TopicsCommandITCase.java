package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.cli.TopicsCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;

/** {@code longnet topics create} against the real broker: creates the four topics once, then reports them. */
class TopicsCommandITCase {

    @Test
    void createsTheTopicsAndIsIdempotent() throws Exception {
        List<String> args = List.of("create", "--bootstrap-servers", SharedKafka.get().bootstrapServers(),
                "--partitions", "3", "--documents-topic", "cli.documents", "--embeddings-topic", "cli.embeddings",
                "--predictions-topic", "cli.predictions", "--dead-letters-topic", "cli.dead-letters");

        String first = run(args);
        String second = run(args);

        assertThat(first.lines()).containsExactly("created cli.documents", "created cli.embeddings",
                "created cli.predictions", "created cli.dead-letters");
        assertThat(second.lines()).allMatch(line -> line.startsWith("existed cli.")).hasSize(4);
        try (Admin admin = Admin.create(SharedKafka.get().clientProperties())) {
            TopicDescription documents = admin.describeTopics(List.of("cli.documents")).allTopicNames().get()
                    .get("cli.documents");
            assertThat(documents.partitions()).hasSize(3);
        }
    }

    /** What {@code longnet topics ARGS} prints. */
    private static String run(List<String> args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            TopicsCommand.run(args);
        } finally {
            System.setOut(stdout);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
