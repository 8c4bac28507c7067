package io.longnet.ops;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.api.java.functions.KeySelector;

/** Tiny models, RocksDB-backed keyed harnesses with visible metrics, and snapshot -> restore. */
final class OpsTestSupport {

    /** The tokenizer needs vocab_size >= 100277; everything else is as small as the decoder allows. */
    static final String TINY_MODEL = "{\"vocab_size\": 100277, \"decoder_embed_dim\": 16, "
            + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 32, \"decoder_layers\": 2, "
            + "\"segment_length\": [8, 16], \"dilated_ratio\": [1, 2]}";

    private OpsTestSupport() {
    }

    static ModelDirectory tinyModel(Path dir) throws IOException {
        ModelConfig config = ModelConfigJson.parse(TINY_MODEL);
        return ModelDirectory.save(dir, ModelInit.random(config, 20240501L));
    }

    /** The tiny model with NaN embedding rows for {@code poisoned} token ids: any chunk holding one fails. */
    static ModelDirectory poisonedModel(Path dir, int... poisoned) throws IOException {
        ModelConfig config = ModelConfigJson.parse(TINY_MODEL);
        io.longnet.model.ModelWeights weights = ModelInit.random(config, 20240501L);
        float[] embed = weights.get(io.longnet.model.WeightLayout.EMBED); // [V, E], the model's own array
        for (int id : poisoned) {
            java.util.Arrays.fill(embed, id * config.embedDim(), (id + 1) * config.embedDim(), Float.NaN);
        }
        return ModelDirectory.save(dir, weights);
    }

    /** A keyed harness over {@code operator} on the RocksDB backend; metrics are read with {@link Harness#metric}. */
    static <IN, OUT> Harness<IN, OUT> keyed(OneInputStreamOperator<IN, OUT> operator, KeySelector<IN, String> key)
            throws Exception {
        MetricsCapture metrics = new MetricsCapture();
        MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(metrics).build();
        KeyedOneInputStreamOperatorTestHarness<String, IN, OUT> harness =
                new KeyedOneInputStreamOperatorTestHarness<>(operator, key, Types.STRING, env);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        return new Harness<>(harness, metrics);
    }

    static <IN, OUT> Harness<IN, OUT> keyed(KeyedProcessFunction<String, IN, OUT> function, KeySelector<IN, String> key)
            throws Exception {
        return keyed(new KeyedProcessOperator<>(function), key);
    }

    /** A harness and the metrics its operator registered. */
    record Harness<IN, OUT>(KeyedOneInputStreamOperatorTestHarness<String, IN, OUT> h, MetricsCapture metrics)
            implements AutoCloseable {

        Harness<IN, OUT> open() throws Exception {
            h.open();
            return this;
        }

        Harness<IN, OUT> restore(OperatorSubtaskState snapshot) throws Exception {
            h.initializeState(snapshot);
            h.open();
            return this;
        }

        /** What a checkpoint does: the pre-barrier hook, then the snapshot. */
        OperatorSubtaskState checkpoint(long id) throws Exception {
            h.prepareSnapshotPreBarrier(id);
            return h.snapshot(id, id);
        }

        void process(IN element) throws Exception {
            h.processElement(element, 0L);
        }

        List<OUT> drainOutput() {
            List<OUT> out = h.extractOutputValues();
            h.getOutput().clear();
            return out;
        }

        Metric metric(String name) {
            return metrics.operatorMetric(name);
        }

        long counter(String name) {
            return ((org.apache.flink.metrics.Counter) metric(name)).getCount();
        }

        @Override
        public void close() throws Exception {
            h.close();
        }
    }

    /** A task metric group whose operator groups remember their metrics. */
    static final class MetricsCapture extends InterceptingTaskMetricGroup {
        private final Map<String, InterceptingOperatorMetricGroup> operators = new HashMap<>();

        @Override
        public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name, Map<String, String> info) {
            return operators.computeIfAbsent(name, n -> new InterceptingOperatorMetricGroup());
        }

        @Override
        public InternalOperatorMetricGroup getOrAddOperator(String name) {
            return operators.computeIfAbsent(name, n -> new InterceptingOperatorMetricGroup());
        }

        Metric operatorMetric(String metricName) {
            for (InterceptingOperatorMetricGroup group : operators.values()) {
                Metric m = group.get(metricName);
                if (m != null) {
                    return m;
                }
            }
            throw new AssertionError("no metric named '" + metricName + "' was registered");
        }
    }
}
