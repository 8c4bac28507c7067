package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.compute.EncoderThreads;
import io.longnet.heads.Pooling;
import io.longnet.kafka.TopicNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

class JobConfigTest {

    private static Map<String, String> required() {
        Map<String, String> options = new HashMap<>();
        options.put("bootstrap-servers", "broker:9092");
        options.put("model", "/models/m");
        return options;
    }

    private static Map<String, String> with(String key, String value) {
        Map<String, String> options = required();
        options.put(key, value);
        return options;
    }

    @Test
    void everyOptionHasADescriptionAndTheDefaultsMakeAValidConfig() {
        for (ConfigOption<?> option : JobOptions.ALL) {
            assertThat(JobOptions.text(option)).as(option.key()).isNotBlank().doesNotContain("%s");
        }
        JobConfig cfg = JobConfig.fromMap(required());

        assertThat(cfg.bootstrapServers()).isEqualTo("broker:9092");
        assertThat(cfg.modelDir()).isEqualTo(Path.of("/models/m"));
        assertThat(cfg.topics()).isEqualTo(TopicNames.defaults());
        assertThat(cfg.chunkSize()).isEqualTo(512);
        assertThat(cfg.flushInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(cfg.batchWait()).isEqualTo(Duration.ofMillis(10));
        assertThat(cfg.pooling()).isEqualTo(Pooling.MEAN);
        assertThat(cfg.topK()).isEqualTo(5);
        assertThat(cfg.predictions()).isTrue();
        assertThat(cfg.checkpointInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(cfg.unalignedCheckpoints()).isTrue();
        assertThat(cfg.checkpointDir()).isNull();
        assertThat(cfg.maxDocumentBytes()).isEqualTo(1024 * 1024);
        assertThat(cfg.transactionTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(cfg.startingOffsets()).isEqualTo(JobOptions.StartingOffsets.EARLIEST);
        assertThat(cfg.encoderThreads()).isEqualTo(EncoderThreads.perSlotShare());
        assertThat(cfg.deliveryGuarantee()).isEqualTo(Delivery.EXACTLY_ONCE);
        assertThat(cfg.unwrittenStateMemory().getBytes()).isEqualTo(16L << 20);
        assertThat(JobConfig.fromMap(with("unwritten-state-memory", "0 b")).unwrittenStateMemory().getBytes())
                .as("0: every stream written after its forward").isZero();
    }

    @Test
    void deliveryGuaranteeTakesTheConnectorsSpellingAndMapsToTheSinkGuarantee() {
        JobConfig atLeastOnce = JobConfig.fromMap(with("delivery-guarantee", "at-least-once"));
        assertThat(atLeastOnce.deliveryGuarantee()).isEqualTo(Delivery.AT_LEAST_ONCE);
        assertThat(atLeastOnce.deliveryGuarantee().sinkGuarantee()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(atLeastOnce.deliveryGuarantee().transactional()).isFalse();
        assertThat(JobConfig.fromMap(with("delivery-guarantee", "Exactly-Once")).deliveryGuarantee().sinkGuarantee())
                .isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(JobOptions.describe()).contains("--delivery-guarantee", "(default exactly-once)");
        // "none" may lose outputs on a restart: not offered.
        assertThatThrownBy(() -> JobConfig.fromMap(with("delivery-guarantee", "none")))
                .hasMessageContaining("delivery-guarantee").hasMessageContaining("none");
    }

    @Test
    void withoutTransactionsTheTransactionTimeoutNeedNotExceedTheCheckpointInterval() {
        Map<String, String> options = with("delivery-guarantee", "at-least-once");
        options.put("checkpoint-interval", "20 min");
        assertThat(JobConfig.fromMap(options).checkpointInterval()).isEqualTo(Duration.ofMinutes(20));
        options.put("delivery-guarantee", "exactly-once");
        assertThatThrownBy(() -> JobConfig.fromMap(options))
                .hasMessage("transaction-timeout 900000 ms must be longer than checkpoint-interval 1200000 ms");
    }

    @Test
    void encoderThreadsDefaultToAShareOfTheTaskManagersCores() {
        EncoderThreads share = JobConfig.fromMap(required()).encoderThreads();
        assertThat(share.resolve(16, 4)).isEqualTo(4);
        assertThat(share.resolve(6, 4)).isEqualTo(1);
        assertThat(share.resolve(2, 8)).isEqualTo(1);
        assertThat(share.resolve(8, 1)).isEqualTo(8);
        EncoderThreads three = JobConfig.fromMap(with("encoder-threads", "3")).encoderThreads();
        assertThat(three.resolve(16, 4)).isEqualTo(3);
        assertThat(three.resolve(1, 1)).isEqualTo(3);
        assertThatThrownBy(() -> JobConfig.fromMap(with("encoder-threads", "0")))
                .hasMessage("encoder-threads must be in [1, 1024], got 0");
        assertThatThrownBy(() -> JobConfig.fromMap(with("encoder-threads", "2000")))
                .hasMessage("encoder-threads must be in [1, 1024], got 2000");
        assertThatThrownBy(() -> share.resolve(4, 0))
                .hasMessage("a TaskManager needs at least one core and one slot, got 4 cores and 0 slots");
    }

    @Test
    void readsEveryOptionFromStrings() {
        Map<String, String> options = required();
        options.putAll(Map.of(
                "documents-topic", "in", "embeddings-topic", "emb", "predictions-topic", "pred",
                "dead-letters-topic", "dlq", "chunk-size", "64", "flush-interval", "250 ms", "pooling", "LAST",
                "top-k", "3", "predictions", "false", "checkpoint-interval", "2 s"));
        options.putAll(Map.of("checkpoint-dir", "file:///tmp/cp", "max-document-bytes", "4096", "group-id", "g",
                "transactional-id-prefix", "tx", "transaction-timeout", "5 min", "starting-offsets", "committed",
                "unaligned-checkpoints", "false"));

        JobConfig cfg = JobConfig.fromMap(options);

        assertThat(cfg.topics()).isEqualTo(new TopicNames("in", "emb", "pred", "dlq"));
        assertThat(cfg.chunkSize()).isEqualTo(64);
        assertThat(cfg.flushInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(cfg.pooling()).isEqualTo(Pooling.LAST);
        assertThat(cfg.topK()).isEqualTo(3);
        assertThat(cfg.predictions()).isFalse();
        assertThat(cfg.checkpointInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(cfg.unalignedCheckpoints()).isFalse();
        assertThat(cfg.checkpointDir()).isEqualTo("file:///tmp/cp");
        assertThat(cfg.maxDocumentBytes()).isEqualTo(4096);
        assertThat(cfg.groupId()).isEqualTo("g");
        assertThat(cfg.transactionalIdPrefix()).isEqualTo("tx");
        assertThat(cfg.transactionTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(cfg.startingOffsets()).isEqualTo(JobOptions.StartingOffsets.COMMITTED);
    }

    @Test
    void errorsNameTheOptionAndTheValue() {
        assertThatThrownBy(() -> JobConfig.fromMap(with("chunk-size", "1")))
                .hasMessage("chunk-size must be >= 2, got 1");
        assertThatThrownBy(() -> JobConfig.fromMap(with("chunk-size", "many")))
                .hasMessageContaining("chunk-size").hasMessageContaining("many");
        assertThatThrownBy(() -> JobConfig.fromMap(with("top-k", "0")))
                .hasMessage("top-k must be >= 1, got 0");
        assertThatThrownBy(() -> JobConfig.fromMap(with("pooling", "max")))
                .hasMessageContaining("pooling").hasMessageContaining("'max'");
        assertThatThrownBy(() -> JobConfig.fromMap(with("max-document-bytes", "0")))
                .hasMessage("max-document-bytes must be >= 1, got 0");
        assertThatThrownBy(() -> JobConfig.fromMap(with("flush-interval", "0 ms")))
                .hasMessageContaining("flush-interval must be a positive duration");
        assertThatThrownBy(() -> JobConfig.fromMap(with("batch-wait", "501 ms")))
                .hasMessage("batch-wait must be in [0 ms, flush-interval 500 ms], got 501 ms");
        assertThat(JobConfig.fromMap(with("batch-wait", "0 ms")).encoderBatching())
                .isEqualTo(new io.longnet.ops.EncoderBatching(512, 0));
        assertThatThrownBy(() -> JobConfig.fromMap(with("checkpoint-interval", "5 ms")))
                .hasMessage("checkpoint-interval must be at least 10 ms, got 5 ms");
        assertThatThrownBy(() -> JobConfig.fromMap(with("transaction-timeout", "5 s")))
                .hasMessage("transaction-timeout 5000 ms must be longer than checkpoint-interval 10000 ms");
        assertThatThrownBy(() -> JobConfig.fromMap(with("embeddings-topic", "longnet.documents")))
                .hasMessageContaining("topic names must be distinct");
        assertThatThrownBy(() -> JobConfig.fromMap(with("starting-offsets", "yesterday")))
                .hasMessageContaining("starting-offsets").hasMessageContaining("yesterday");
    }

    @Test
    void requiredOptionsAndUnknownKeysAreErrors() {
        assertThatThrownBy(() -> JobConfig.fromMap(Map.of("model", "/m")))
                .hasMessage("bootstrap-servers is required and must not be blank, got nothing");
        assertThatThrownBy(() -> JobConfig.fromMap(Map.of("bootstrap-servers", "b:9092")))
                .hasMessageContaining("model is required");
        assertThatThrownBy(() -> JobConfig.fromMap(with("chunk-sise", "64")))
                .hasMessageStartingWith("unknown job option 'chunk-sise'");
    }
}
