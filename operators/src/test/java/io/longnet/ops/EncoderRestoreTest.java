package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.compute.EncoderThreads;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.util.Collector;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores that cannot go on: each must stop the job for good (Flink's {@link SuppressRestartsException}), naming
 * the stream and the cause, since a restart would read the same checkpoint and fail again, forever.
 */
class EncoderRestoreTest {

    private static final int TOP_K = 2;

    @TempDir
    static Path dir;
    static ModelDirectory modelA;
    static ModelDirectory modelB;
    static List<StreamChunk> streamX;
    static List<StreamChunk> streamY;

    @BeforeAll
    static void twoModelsAndTwoStreams() throws Exception {
        modelA = OpsTestSupport.tinyModel(dir.resolve("a"));
        modelB = ModelDirectory.save(dir.resolve("b"), ModelInit.random(modelA.config(), 77));
        streamX = EncoderOperatorTest.chunks("X", 7, new int[] {5, 9, 4}, 3);
        streamY = EncoderOperatorTest.chunks("Y", 7, new int[] {6, 8, 3}, 4);
    }

    private static EncoderOperator encoder(ModelDirectory model, ModelChange onModelChange) {
        return new EncoderOperator(model.dir().toString(), TOP_K, true, EncoderOperator.DEFAULT_HOT_STATE_BYTES,
                onModelChange, EncoderThreads.perSlotShare(), EncoderBatching.OFF);
    }

    private static OpsTestSupport.Harness<StreamChunk, EncodedChunk> harness(EncoderOperator operator)
            throws Exception {
        return OpsTestSupport.keyed(operator, StreamChunk::stream);
    }

    private static void assertStopsForGood(Throwable e, String... named) {
        assertThat(ExceptionUtils.findThrowable(e, SuppressRestartsException.class)).as("restarts suppressed: %s", e)
                .isPresent();
        assertThat(e).hasStackTraceContaining(named[0]);
        for (String n : named) {
            assertThat(e).hasStackTraceContaining(n);
        }
    }

    /**
     * Model A; switch to B with RESTART_STREAMS; checkpoint while X is idle; restore with FAIL. X was written by
     * A, so X's next chunk must not throw a plain error (a restart loop): X restarted its context at the switch.
     */
    @Test
    void anIdleStreamAfterAModelSwitchDoesNotLoopAtItsNextChunk() throws Exception {
        OperatorSubtaskState underA;
        try (var h = harness(encoder(modelA, ModelChange.FAIL)).open()) {
            h.process(streamX.get(0));
            h.process(streamY.get(0));
            underA = h.checkpoint(1);
        }
        OperatorSubtaskState underB;
        try (var h = harness(encoder(modelB, ModelChange.RESTART_STREAMS)).restore(underA)) {
            h.process(streamY.get(1)); // X stays idle
            underB = h.checkpoint(2);
        }
        List<EncodedChunk> out;
        try (var h = harness(encoder(modelB, ModelChange.FAIL)).restore(underB)) {
            h.process(streamX.get(1));
            out = h.drainOutput();
        }
        ChunkEncoder reference = new ChunkEncoder(new LongNetDecoder(modelB.weights()), modelB.fingerprint(), TOP_K,
                true, CorpusTokenizer.cl100k());
        EncoderStream restarted = reference.restartAt(streamX.get(1).chunk().firstPosition());
        EncodedChunk expected = reference.encode("X", restarted, streamX.get(1).chunk()).chunk();
        assertThat(out).singleElement().satisfies(c -> {
            assertThat(c.features()).containsExactly(expected.features());
            // the logits' reductions are threaded: their last bits may differ from run to run
            assertThat(c.nll()).containsExactly(expected.nll(), org.assertj.core.api.Assertions.within(1e-6));
            assertThat(c.modelFingerprint()).isEqualTo(modelB.fingerprint());
        });
    }

    /** A stream whose meta cannot be read stops the job for good, naming the stream and the cause. */
    @Test
    void unreadableStreamStateStopsTheJobNamingTheStream() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = OpsTestSupport.keyed(new WritesState("stream-meta", new byte[] {0, 0, 0, 1, 0, 0, 0, 2}),
                StreamChunk::stream).open()) {
            h.process(streamX.get(0));
            snapshot = h.checkpoint(1);
        }
        try (var h = harness(encoder(modelA, ModelChange.FAIL)).restore(snapshot)) {
            assertThatThrownBy(() -> h.process(streamX.get(1)))
                    .satisfies(e -> assertStopsForGood(e, "stream 'X'", "LNS2 marker"));
        }
    }

    /** Format 1 kept streams in 'decoder-state': refused at start, never taken as streams at position 0. */
    @Test
    void aFormat1CheckpointIsRefusedAtStart() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = OpsTestSupport.keyed(new WritesState("decoder-state", new byte[] {0, 0, 0, 1}),
                StreamChunk::stream).open()) {
            h.process(streamX.get(0));
            snapshot = h.checkpoint(1);
        }
        try (var h = harness(encoder(modelA, ModelChange.FAIL))) {
            assertThatThrownBy(() -> h.restore(snapshot))
                    .satisfies(e -> assertStopsForGood(e, "stream 'X'", "format 1", "LNS2 marker"));
        }
    }

    /** A chunk that does not continue its stream means lost state, not bad input: the job stops for good. */
    @Test
    void aChunkThatDoesNotContinueTheStreamStopsTheJob() throws Exception {
        try (var h = harness(encoder(modelA, ModelChange.FAIL)).open()) {
            long position = streamX.get(1).chunk().firstPosition();
            assertThatThrownBy(() -> h.process(streamX.get(1)))
                    .satisfies(e -> assertStopsForGood(e, "stream 'X'", "position " + position,
                            "state is at position 0"));
        }
    }

    /** RESTART_STREAMS to a model with fewer branches drops the maps of the branches it lacks, for every stream. */
    @Test
    void aModelWithFewerBranchesLeavesNoOldBranchMaps() throws Exception {
        ModelDirectory oneBranch = ModelDirectory.save(dir.resolve("one-branch"), ModelInit.random(
                ModelConfigJson.parse(OpsTestSupport.TINY_MODEL.replace("[8, 16]", "[16]").replace("[1, 2]", "[1]")),
                5));
        OperatorSubtaskState underA;
        try (var h = harness(encoder(modelA, ModelChange.FAIL)).open()) {
            for (StreamChunk c : streamX) {
                h.process(c);
            }
            h.process(streamY.get(0));
            underA = h.checkpoint(1);
            assertThat(keys(h, "kv-branch-1")).as("precondition: branch 1 holds rows").isPositive();
        }
        OperatorSubtaskState underOneBranch;
        try (var h = harness(encoder(oneBranch, ModelChange.RESTART_STREAMS)).restore(underA)) {
            assertThat(keys(h, "kv-branch-0")).as("every stream restarted, idle ones too").isZero();
            underOneBranch = h.checkpoint(2);
        }
        try (var h = OpsTestSupport.keyed(new ReadsBranchMap(1), StreamChunk::stream).restore(underOneBranch)) {
            assertThat(keys(h, "kv-branch-1")).isZero();
        }
    }

    /** Registers the map of branch b, so that its keys in a restored checkpoint can be counted. */
    private static final class ReadsBranchMap extends KeyedProcessFunction<String, StreamChunk, EncodedChunk> {
        private final int branch;

        ReadsBranchMap(int branch) {
            this.branch = branch;
        }

        @Override
        public void open(OpenContext openContext) {
            getRuntimeContext().getMapState(new org.apache.flink.api.common.state.MapStateDescriptor<>(
                    "kv-branch-" + branch, org.apache.flink.api.common.typeinfo.Types.LONG,
                    PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void processElement(StreamChunk chunk, Context ctx, Collector<EncodedChunk> out) {
        }
    }

    private static long keys(OpsTestSupport.Harness<StreamChunk, EncodedChunk> h, String state) throws Exception {
        try (Stream<Object> keys = ((AbstractStreamOperator<?>) h.h().getOperator())
                .getKeyedStateBackend().getKeys(state, VoidNamespace.INSTANCE)) {
            return keys.count();
        }
    }

    /** Writes fixed bytes into a keyed ValueState of a given name: state another build or format left behind. */
    private static final class WritesState extends KeyedProcessFunction<String, StreamChunk, EncodedChunk> {
        private final String name;
        private final byte[] bytes;
        private transient ValueState<byte[]> state;

        WritesState(String name, byte[] bytes) {
            this.name = name;
            this.bytes = bytes;
        }

        @Override
        public void open(OpenContext openContext) {
            state = getRuntimeContext().getState(
                    new ValueStateDescriptor<>(name, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void processElement(StreamChunk chunk, Context ctx, Collector<EncodedChunk> out) throws Exception {
            state.update(bytes);
        }
    }
}
