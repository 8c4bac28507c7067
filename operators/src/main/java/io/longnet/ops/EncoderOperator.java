package io.longnet.ops;

import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dilated encoder, keyed by stream: every decision is {@link ChunkEncoder}'s; this operator only keeps
 * each stream's {@link EncoderStream} and makes it durable.
 *
 * <p>State: a hot copy per stream in memory (LRU, at most {@code maxHotStreams}), marked dirty when it
 * advances. Keyed state ({@code decoder-state}: the decoder snapshot; {@code last-features}: {@code [E]})
 * is written only for dirty streams, in {@link #prepareSnapshotPreBarrier} (and, should a snapshot come
 * without it, in {@link #snapshotState}), or when a dirty stream is evicted. So rows of segments that open
 * and close between two checkpoints never reach RocksDB. The hot copy is derived data: after a restore
 * the map is empty and each stream is rebuilt from keyed state on first use, equal to the checkpointed
 * state.
 *
 * <p>Metrics: {@code tokensEncoded}, {@code bytesWrittenToState} (counters), {@code kvStateBytes} (kept k/v
 * bytes of the hot streams) and {@code chunkLatencyMillis} (the last chunk's encode time) (gauges).
 */
public final class EncoderOperator extends AbstractStreamOperator<EncodedChunk>
        implements OneInputStreamOperator<StreamChunk, EncodedChunk> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(EncoderOperator.class);
    /** Hot streams kept in memory by default; more are written to keyed state and dropped, least recent first. */
    public static final int DEFAULT_MAX_HOT_STREAMS = 1024;

    private final String modelDir;
    private final int topK;
    private final boolean predictions;
    private final int maxHotStreams;

    private transient ChunkEncoder encoder;
    private transient ValueState<byte[]> decoderState;  // StreamingDecoder.snapshot()
    private transient ValueState<float[]> lastFeatures; // [E], feature row of position - 1
    private transient LinkedHashMap<String, EncoderStream> hot; // access order: eldest = least recently used
    private transient Set<String> dirty;
    private transient Counter tokensEncoded;
    private transient Counter bytesWrittenToState;
    private transient volatile long kvStateBytes;      // written by the task thread, read by metric reporters
    private transient volatile double chunkLatencyMillis;

    /**
     * @param modelDir directory with config.json and model.safetensors, readable on every task manager
     * @param topK next tokens listed per finished document, in [0, vocab_size]
     * @param predictions whether to compute logits (NLL and top-k); false gives features only
     */
    public EncoderOperator(String modelDir, int topK, boolean predictions) {
        this(modelDir, topK, predictions, DEFAULT_MAX_HOT_STREAMS);
    }

    /** As {@link #EncoderOperator(String, int, boolean)}, with at most {@code maxHotStreams} streams in memory. */
    public EncoderOperator(String modelDir, int topK, boolean predictions, int maxHotStreams) {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException("model directory must be set, got '" + modelDir + "'");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (maxHotStreams < 1) {
            throw new IllegalArgumentException("max hot streams must be >= 1, got " + maxHotStreams);
        }
        this.modelDir = modelDir;
        this.topK = topK;
        this.predictions = predictions;
        this.maxHotStreams = maxHotStreams;
    }

    @Override
    public void open() throws Exception {
        super.open();
        encoder = loadEncoder();
        decoderState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("decoder-state", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        lastFeatures = getRuntimeContext().getState(
                new ValueStateDescriptor<>("last-features", PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO));
        hot = new LinkedHashMap<>(16, 0.75f, true);
        dirty = new HashSet<>();
        tokensEncoded = getMetricGroup().counter("tokensEncoded");
        bytesWrittenToState = getMetricGroup().counter("bytesWrittenToState");
        getMetricGroup().gauge("kvStateBytes", () -> kvStateBytes);
        getMetricGroup().gauge("chunkLatencyMillis", () -> chunkLatencyMillis);
    }

    private ChunkEncoder loadEncoder() {
        ModelDirectory model;
        try {
            model = ModelDirectory.load(Path.of(modelDir));
            CorpusTokenizer.cl100k().checkModelVocabulary(model.config().vocabSize());
        } catch (RuntimeException e) {
            throw new IllegalStateException("encoder cannot use model directory '" + modelDir + "': "
                    + e.getMessage(), e);
        }
        LOG.info("Encoder loaded model {} from {} ({} layers, embed dim {})", model.fingerprint(), modelDir,
                model.config().layers(), model.config().embedDim());
        return new ChunkEncoder(new LongNetDecoder(model.weights()), model.fingerprint(), topK, predictions);
    }

    @Override
    public void processElement(StreamRecord<StreamChunk> element) throws Exception {
        StreamChunk in = element.getValue();
        String stream = in.stream();
        if (!stream.equals(getCurrentKey())) {
            throw new IllegalStateException("encoder must be keyed by stream: chunk of stream '" + stream
                    + "' arrived under key '" + getCurrentKey() + "'");
        }
        EncoderStream state = hotStream(stream);
        long bytesBefore = state.stateBytes();
        long start = System.nanoTime();
        EncodedChunk encoded = encoder.encode(stream, state, in.chunk());
        chunkLatencyMillis = (System.nanoTime() - start) / 1e6;
        kvStateBytes += state.stateBytes() - bytesBefore;
        dirty.add(stream);
        tokensEncoded.inc(encoded.tokenCount());
        output.collect(element.replace(encoded));
    }

    /** The stream's hot copy, rebuilt from keyed state (the current key's) when not in memory. */
    private EncoderStream hotStream(String stream) throws Exception {
        EncoderStream state = hot.get(stream);
        if (state == null) {
            byte[] snapshot = decoderState.value();
            state = snapshot == null ? encoder.newStream() : encoder.restore(snapshot, lastFeatures.value());
            hot.put(stream, state);
            kvStateBytes += state.stateBytes();
            evictBeyond(maxHotStreams, stream);
        }
        return state;
    }

    /** Drops the least recently used streams beyond {@code limit}, writing dirty ones to keyed state first. */
    private void evictBeyond(int limit, String currentKey) throws Exception {
        Iterator<Map.Entry<String, EncoderStream>> eldest = hot.entrySet().iterator();
        boolean keyChanged = false;
        while (hot.size() > limit) {
            Map.Entry<String, EncoderStream> entry = eldest.next();
            if (dirty.remove(entry.getKey())) {
                setCurrentKey(entry.getKey());
                keyChanged = true;
                write(entry.getValue());
            }
            kvStateBytes -= entry.getValue().stateBytes();
            eldest.remove();
        }
        if (keyChanged) {
            setCurrentKey(currentKey);
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        writeDirty();
    }

    /** Normally a no-op (the pre-barrier hook already wrote everything); keeps snapshots complete without it. */
    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        writeDirty();
    }

    private void writeDirty() throws Exception {
        if (dirty.isEmpty()) {
            return;
        }
        Object currentKey = getCurrentKey();
        for (String stream : dirty) {
            setCurrentKey(stream);
            write(hot.get(stream));
        }
        dirty.clear();
        if (currentKey != null) {
            setCurrentKey(currentKey);
        }
    }

    /** Writes one stream's state under the current key. */
    private void write(EncoderStream state) throws Exception {
        byte[] snapshot = state.decoderSnapshot();
        float[] row = state.lastFeatures(); // [E]
        decoderState.update(snapshot);
        lastFeatures.update(row);
        bytesWrittenToState.inc(snapshot.length + (row == null ? 0L : (long) Float.BYTES * row.length));
    }

    @Override
    public void close() throws Exception {
        if (hot != null) {
            hot.clear();
        }
        super.close();
    }
}
