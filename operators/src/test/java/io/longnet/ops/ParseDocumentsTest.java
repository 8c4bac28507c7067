package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.Document;
import io.longnet.kafka.WireError;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class ParseDocumentsTest {

    private static final int LIMIT = 200;

    @Test
    void validDocumentsPassAndEachKindOfBadInputBecomesOneDeadLetter() throws Exception {
        Map<WireError, byte[]> bad = new LinkedHashMap<>();
        bad.put(WireError.NO_VALUE, null);
        bad.put(WireError.TOO_LARGE, json("{\"id\":\"big\",\"text\":\"" + "x".repeat(LIMIT) + "\"}"));
        bad.put(WireError.NOT_UTF8, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
        bad.put(WireError.NOT_JSON, json("{\"id\": "));
        bad.put(WireError.NOT_OBJECT, json("[1, 2]"));
        bad.put(WireError.UNSUPPORTED_VERSION, json("{\"v\":2,\"id\":\"a\",\"text\":\"t\"}"));
        bad.put(WireError.MISSING_FIELD, json("{\"text\":\"no id\"}"));
        bad.put(WireError.WRONG_TYPE, json("{\"id\":5,\"text\":\"t\"}"));
        bad.put(WireError.EMPTY_FIELD, json("{\"id\":\"a\",\"text\":\"\"}"));
        bad.put(WireError.INVALID_VALUE, json("{\"id\":\"a\",\"text\":\"x\\ud800y\"}"));
        assertThat(bad.keySet()).containsExactlyInAnyOrder(WireError.values());

        OpsTestSupport.MetricsCapture metrics = new OpsTestSupport.MetricsCapture();
        try (OneInputStreamOperatorTestHarness<RawRecord, SourcedDocument> harness = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new ParseDocuments(LIMIT)),
                new MockEnvironmentBuilder().setMetricGroup(metrics).build())) {
            harness.open();
            long offset = 0;
            harness.processElement(raw(offset++, new Document("d1", "hello", "s1", 7L).toJson(), 1_234L), 0L);
            for (byte[] value : bad.values()) {
                harness.processElement(raw(offset++, value), 0L);
            }
            harness.processElement(raw(offset, json("{\"id\":\"d2\",\"text\":\"world\"}")), 0L);

            assertThat(harness.extractOutputValues()).containsExactly(
                    new SourcedDocument(new Document("d1", "hello", "s1", 7L), PARTITION, 1_234L),
                    new SourcedDocument(new Document("d2", "world"), PARTITION));
            List<DeadLetter> letters = harness.getSideOutput(ParseDocuments.DEAD_LETTERS).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(letters).hasSize(bad.size());
            int i = 0;
            for (Map.Entry<WireError, byte[]> kind : bad.entrySet()) {
                DeadLetter letter = letters.get(i++);
                assertThat(letter.sourceTopic()).isEqualTo("documents");
                assertThat(letter.partition()).isEqualTo(3);
                assertThat(letter.offset()).isEqualTo(i);
                assertThat(letter.reason()).startsWith(kind.getKey() + ": ");
                assertThat(letter.original()).isEqualTo(kind.getValue());
            }
            assertThat(letters.get(1).reason()).contains("max-document-bytes=" + LIMIT);
            assertThat(((Counter) metrics.operatorMetric("documentsParsed")).getCount()).isEqualTo(2);
            assertThat(((Counter) metrics.operatorMetric("deadLetters")).getCount()).isEqualTo(bad.size());
        }
    }

    @Test
    void deadLettersAreCountedByReasonEveryReasonFromZero() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (OneInputStreamOperatorTestHarness<RawRecord, SourcedDocument> harness = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new ParseDocuments(LIMIT)),
                new MockEnvironmentBuilder().setMetricGroup(metrics.task).build())) {
            harness.open();
            harness.processElement(raw(0, json("{\"id\": ")), 0L);
            harness.processElement(raw(1, json("[1]")), 0L);
            harness.processElement(raw(2, json("{\"id\": ")), 0L);
            harness.processElement(raw(3, json("{\"id\":\"d\",\"text\":\"fine\"}")), 0L);

            String group = ParseDocuments.REASON_GROUP;
            assertThat(metrics.counter("deadLetters", group, "not_json")).isEqualTo(2);
            assertThat(metrics.counter("deadLetters", group, "not_object")).isEqualTo(1);
            assertThat(metrics.counter("deadLetters", group, "too_large")).isZero();
            assertThat(metrics.count("deadLetters", group)).isEqualTo(WireError.values().length);
        }
    }

    @Test
    void badLimitIsRejectedWhenTheJobIsBuilt() {
        assertThatThrownBy(() -> new ParseDocuments(0)).hasMessageContaining("max-document-bytes");
    }

    private static final int PARTITION = 3;

    private static RawRecord raw(long offset, byte[] value) {
        return new RawRecord("documents", PARTITION, offset, "k".getBytes(StandardCharsets.UTF_8), value);
    }

    private static RawRecord raw(long offset, byte[] value, long timestamp) {
        return new RawRecord("documents", PARTITION, offset, "k".getBytes(StandardCharsets.UTF_8), value, timestamp);
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
