package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.demo.SampleCorpus;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobOptions;
import io.longnet.job.JobTaps;
import io.longnet.kafka.EmbeddedKafka;
import io.longnet.job.ModelCheck.InvalidModelException;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model the job cannot use, or a transaction timeout the brokers refuse, fails the job at start, with the
 * problem named, before a graph exists, so before any record is consumed: no job is submitted, the consumer
 * group commits nothing, no output appears.
 */
class StartupValidationITCase {

    @Test
    void missingModelDirectoryFailsAtStart(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("no-such-model");

        assertFailsAtStart("it-startup-missing", missing, dir,
                "model directory " + missing + " cannot be used: ", "does not exist");
    }

    @Test
    void corruptWeightsFailAtStart(@TempDir Path dir) throws Exception {
        Path model = TinyModel.write(dir.resolve("model")).dir();
        Files.write(model.resolve(ModelDirectory.WEIGHTS_FILE), new byte[] {1, 2, 3});

        assertFailsAtStart("it-startup-corrupt", model, dir, "model directory " + model + " cannot be used: ",
                ModelDirectory.WEIGHTS_FILE);
    }

    @Test
    void unknownConfigKeyFailsAtStart(@TempDir Path dir) throws Exception {
        Path model = TinyModel.write(dir.resolve("model")).dir();
        Files.writeString(model.resolve(ModelDirectory.CONFIG_FILE),
                TinyModel.CONFIG_JSON.replace("\"vocab_size\"", "\"vocab_sise\": 1, \"vocab_size\""));

        assertFailsAtStart("it-startup-config", model, dir, "cannot be used: ", "vocab_sise");
    }

    @Test
    void vocabularySmallerThanTheTokenizersFailsAtStart(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("small-vocab");
        ModelDirectory.save(model, ModelInit.random(
                ModelConfigJson.parse(TinyModel.CONFIG_JSON.replace("100277", "1000")), 1));

        assertFailsAtStart("it-startup-vocab", model, dir, "cannot be used: model vocab_size is 1000 but its tokenizer "
                + "cl100k_base (longnet_tokenizer) needs vocab_size >= 100277", "");
    }

    @Test
    void transactionTimeoutAboveTheBrokersMaximumFailsAtStart(@TempDir Path dir) throws Exception {
        Path model = TinyModel.write(dir.resolve("model")).dir();
        try (Pipeline pipeline = new Pipeline("it-startup-txn", model, dir.resolve("cp"),
                Map.of(JobOptions.TRANSACTION_TIMEOUT.key(), "2 h"))) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

            assertThatThrownBy(() -> CorpusJob.build(env, pipeline.config, pipeline.clientProperties()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("transaction-timeout 7200000 ms is above the brokers' transaction.max.timeout.ms "
                            + EmbeddedKafka.TRANSACTION_MAX_TIMEOUT.toMillis() + " ms");
            assertThat(env.getTransformations()).isEmpty();
        }
    }

    private static void assertFailsAtStart(String name, Path model, Path dir, String messageStart, String mentions)
            throws Exception {
        try (Pipeline pipeline = new Pipeline(name, model, dir.resolve("cp"), Map.of())) {
            pipeline.write(SampleCorpus.documents(4));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

            assertThatThrownBy(() -> CorpusJob.build(env, pipeline.config, pipeline.clientProperties(), JobTaps.NONE))
                    .isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining(messageStart)
                    .hasMessageContaining(mentions);
            assertThatThrownBy(() -> CorpusJob.main(new String[] {
                    "--bootstrap-servers", pipeline.kafka.bootstrapServers(), "--model", model.toString(),
                    "--documents-topic", pipeline.topics.documents(), "--group-id", name}))
                    .isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining(messageStart);

            assertThat(env.getTransformations()).as("nothing added to the job graph").isEmpty();
            try (Admin admin = Admin.create(pipeline.clientProperties())) {
                assertThat(admin.listConsumerGroupOffsets(name).partitionsToOffsetAndMetadata().get())
                        .as("offsets committed by group %s", name).isEmpty();
            }
            assertThat(pipeline.outputs().poll(Duration.ofMillis(500))).as("records on the output topics").isZero();
            assertThat(List.of(pipeline.outputs().embeddings(), pipeline.outputs().deadLetters())).allMatch(List::isEmpty);
        }
    }
}
