package io.longnet.ops;

import io.longnet.attention.AttentionState;
import io.longnet.compute.ComputeThreads;
import io.longnet.compute.EncoderThreads;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelDirectory;
import io.longnet.state.HotStreams;
import io.longnet.state.KvStore;
import io.longnet.state.StreamMeta;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dilated encoder, keyed by stream: every decision is {@link ChunkEncoder}'s and {@link HotStreams}';
 * this operator maps them onto keyed state, checkpoints and metrics.
 *
 * <p>Keyed state (format 2, see {@code operators/STATE-FORMAT.md}): {@code stream-meta} ({@link StreamMeta}: model,
 * context start, position, last feature row) and, per branch b, {@code kv-branch-b}, a map of the open
 * segment's k/v pieces ({@link io.longnet.state.KvPersistence}). Both are written for a stream only when it
 * advanced since its last write: before each checkpoint barrier, when it is evicted from memory, or after a
 * forward when the hot streams hold more than {@code unwrittenStateBytes} of new rows unwritten (so that a barrier
 * has about that much to write at most, counted at a token's average row bytes, the meta rows aside). Only rows
 * appended since the previous write reach RocksDB; a closed segment's map is cleared.
 *
 * <p>Batches: chunks of several streams that arrive close together are encoded in one forward ({@link
 * EncoderBatching}: up to the chunk size in tokens, waiting at most its wait after the first). Before a checkpoint
 * barrier, a watermark or the end of the input, the waiting chunks are encoded and emitted, so a checkpoint never
 * holds one: the state format is unchanged.
 *
 * <p>Memory: the streams' decoders are held in {@link HotStreams}, at most {@code hotStateBytes} of k/v
 * buffers (JVM heap); beyond that the least recently used streams are written back and dropped, and rebuilt from
 * RocksDB on their next chunk. Room is made before a batch's streams load and grow: for each, what its buffers may
 * grow to in this forward ({@link EncoderStream#heldBytesAfter}), a stream not in memory counted at its bound
 * while it loads; a batch whose streams would not fit is encoded in several forwards. The hot copies are derived
 * data: after a restore they are rebuilt lazily.
 *
 * <p>Operator state {@code encoder-model} records the model fingerprint, so that a restore with another
 * model fails at start, naming both, instead of mixing two models' rows in one stream; with
 * {@link ModelChange#RESTART_STREAMS} every stream restarts at once instead. State that cannot be used (format 1, a
 * stream's unreadable state, a chunk that does not continue its stream) stops the job with restarts suppressed,
 * naming the stream: restoring the same checkpoint again would only fail again.
 *
 * <p>Metrics: meter {@code tokensPerSecond}; gauge {@code position} per stream (group {@code stream}, the first
 * {@link #STREAM_METRICS_LIMIT} streams of a subtask); counters {@code tokensEncoded}, {@code bytesWrittenToState}, {@code hotStreamEvictions},
 * {@code hotStreamReloads}, {@code chunksFailed} (chunks in which a document failed); gauges {@code kvStateBytes} (kept k/v of the hot streams), {@code hotStateBytes}
 * (their buffers as allocated), {@code hotStreams}; histograms {@code chunkLatencyMillis} (the time of the forward
 * that encoded the chunk), {@code chunksPerBatch} and {@code barrierWriteMillis} (the state writes left for a
 * checkpoint barrier, during which no output goes out).
 */
public final class EncoderOperator extends AbstractStreamOperator<EncodedChunk>
        implements OneInputStreamOperator<StreamChunk, EncodedChunk> {

    private static final long serialVersionUID = 2L;
    private static final Logger LOG = LoggerFactory.getLogger(EncoderOperator.class);
    /** Hot k/v memory when none is given: 1 GiB. */
    public static final long DEFAULT_HOT_STATE_BYTES = 1L << 30;
    /**
     * New k/v rows the hot streams may hold unwritten when none is given: 16 MiB, which RocksDB takes in tens of
     * milliseconds. With every write left to the barrier, a 10 s checkpoint interval at 15 documents/s of the
     * docker model wrote 80-90 MB there, in 0.2-0.9 s during which no output went out.
     */
    public static final long DEFAULT_UNWRITTEN_STATE_BYTES = 16L << 20;
    /** Streams per subtask with their own position gauge. */
    public static final int STREAM_METRICS_LIMIT = 100;
    /** Most forwards of the encoder's warm-up ({@link ChunkEncoder#warmUp}), once per task JVM and job. */
    static final int WARM_UP_FORWARDS = 30;
    /** Most time the warm-up takes: a larger model runs fewer of its forwards, the JIT compiles on meanwhile. */
    static final long WARM_UP_BUDGET_MILLIS = 5_000;
    /**
     * Whether an encoder of this JVM started the warm-up: the compiled code serves every model and later restarts.
     * A static of the job's classloader, so once per job on a cluster's task JVM, once per JVM where the job's classes
     * are on the JVM's own classpath (local runs, the MiniCluster).
     */
    private static final AtomicBoolean WARM_UP_STARTED = new AtomicBoolean();

    private final String modelDir;
    private final int topK;
    private final boolean predictions;
    private final long hotStateBytes;
    private final ModelChange onModelChange;
    private final EncoderThreads threads;
    private final EncoderBatching batching;
    private final long unwrittenStateBytes;

    private transient ChunkEncoder encoder;
    private transient ValueState<byte[]> streamMeta;          // StreamMeta.toBytes()
    private transient List<MapState<Long, byte[]>> kvBranches; // [branches] KvPieces key -> piece
    private transient ListState<String> encoderModel;          // the model fingerprint, one entry per subtask
    private transient ListState<Integer> encoderBranches;      // the model's branch count, one entry per subtask
    private transient boolean restored;
    private transient boolean modelChanged;  // restored from another model's state with RESTART_STREAMS
    private transient int restoredBranches;  // most kv-branch maps the restored state may hold
    private transient KvStore kvStore;
    private transient HotStreams<EncoderStream> hot;
    private transient long oneStreamBytes; // the most one stream's hot copy can take (oneStreamBytes(config))
    private transient Counter tokensEncoded;
    private transient Counter bytesWrittenToState;
    private transient Counter evictions;
    private transient Counter reloads;
    private transient Counter chunksFailed;
    private transient Histogram chunkLatencyMillis;
    private transient volatile long kvStateBytes; // written by the task thread, read by metric reporters
    private transient volatile long heldBytes;
    private transient volatile long peakHeldBytes; // most held at once, measured right after each chunk's encode
    private transient volatile int hotCount;
    private transient Map<String, Long> positions; // stream -> position, read by metric reporters
    private transient Histogram chunksPerBatch;
    private transient Histogram barrierWriteMillis;
    private transient List<Pending> pending;       // the batch waiting to be encoded, in arrival order
    private transient Set<String> pendingStreams;  // their streams
    private transient long pendingRows;            // the logits rows they reserve (EncoderBatching)
    private transient long batchGeneration;        // counts batches, so that a timer of an encoded batch does nothing

    /** A chunk waiting in the batch, with its record's timestamp (the record itself may be reused upstream). */
    private record Pending(StreamChunk chunk, boolean hasTimestamp, long timestamp) {
    }

    /** As {@link #EncoderOperator(String, int, boolean, long)} with {@link #DEFAULT_HOT_STATE_BYTES}. */
    public EncoderOperator(String modelDir, int topK, boolean predictions) {
        this(modelDir, topK, predictions, DEFAULT_HOT_STATE_BYTES);
    }

    /**
     * @param modelDir directory with config.json and model.safetensors, readable on every task manager
     * @param topK next tokens listed per finished document, in [0, vocab_size]
     * @param predictions whether to compute logits (NLL and top-k); false gives features only
     * @param hotStateBytes most bytes of k/v buffers held in memory; at least one stream's bound
     *     ({@link #oneStreamBytes})
     */
    public EncoderOperator(String modelDir, int topK, boolean predictions, long hotStateBytes) {
        this(modelDir, topK, predictions, hotStateBytes, ModelChange.FAIL, EncoderThreads.perSlotShare(),
                EncoderBatching.OFF);
    }

    /**
     * As {@link #EncoderOperator(String, int, boolean, long)}, with what a restore by another model does, the
     * threads of the encoder's arithmetic, and how chunks of several streams share a forward.
     */
    public EncoderOperator(String modelDir, int topK, boolean predictions, long hotStateBytes,
            ModelChange onModelChange, EncoderThreads threads, EncoderBatching batching) {
        this(modelDir, topK, predictions, hotStateBytes, onModelChange, threads, batching,
                DEFAULT_UNWRITTEN_STATE_BYTES);
    }

    /**
     * As {@link #EncoderOperator(String, int, boolean, long, ModelChange, EncoderThreads, EncoderBatching)}, with
     * the most bytes of new k/v rows the hot streams hold unwritten between checkpoints (>= 0): beyond it, the
     * streams with the most are written after a forward, so that a checkpoint barrier writes about that much at most.
     */
    public EncoderOperator(String modelDir, int topK, boolean predictions, long hotStateBytes,
            ModelChange onModelChange, EncoderThreads threads, EncoderBatching batching, long unwrittenStateBytes) {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException("model directory must be set, got '" + modelDir + "'");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        if (hotStateBytes < 1) {
            throw new IllegalArgumentException("hot state memory must be >= 1 byte, got " + hotStateBytes);
        }
        if (unwrittenStateBytes < 0) {
            throw new IllegalArgumentException("unwritten state must be >= 0 bytes, got " + unwrittenStateBytes);
        }
        this.modelDir = modelDir;
        this.topK = topK;
        this.predictions = predictions;
        this.hotStateBytes = hotStateBytes;
        this.onModelChange = onModelChange;
        this.threads = threads;
        this.batching = batching;
        this.unwrittenStateBytes = unwrittenStateBytes;
    }

    /**
     * The most memory one stream's hot copy can take: its k/v buffers at the segments' bound (a little above
     * layers x sum_i ceil(w_i/r_i) x 2E floats: whole key panels, padded values) plus the last feature row.
     */
    public static long oneStreamBytes(ModelConfig config) {
        long perLayer = AttentionState.maxHeldFloats(config.schedule(), config.heads(), config.headDim());
        return Float.BYTES * (config.layers() * perLayer + config.embedDim());
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        int slots = getContainingTask().getEnvironment().getTaskManagerInfo().getConfiguration()
                .get(TaskManagerOptions.NUM_TASK_SLOTS);
        int count = threads.resolve(Runtime.getRuntime().availableProcessors(), slots);
        ComputeThreads.set(count);
        LOG.info("Encoder threads: {} ({} cores, {} slots on this TaskManager)", count,
                Runtime.getRuntime().availableProcessors(), slots);
        encoder = loadEncoder();
        warmUpOnce();
        restored = context.isRestored();
        encoderModel = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("encoder-model", Types.STRING));
        encoderBranches = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("encoder-branches", Types.INT));
        restoredBranches = encoder.branches();
        for (Integer branches : encoderBranches.get()) {
            restoredBranches = Math.max(restoredBranches, branches);
        }
        modelChanged = false;
        for (String restored : encoderModel.get()) {
            if (!restored.equals(encoder.modelFingerprint()) && onModelChange == ModelChange.RESTART_STREAMS) {
                LOG.warn("The encoder's state was written by model {}, the job now runs model {}: every stream keeps "
                        + "its position and restarts its context there", restored, encoder.modelFingerprint());
                modelChanged = true;
            } else if (!restored.equals(encoder.modelFingerprint())) {
                throw new SuppressRestartsException(new IllegalStateException("the encoder's state was written by "
                        + "model " + restored + ", but the job now runs model " + encoder.modelFingerprint() + " from '"
                        + modelDir + "': restore with the model that wrote the checkpoint, start without it, or set "
                        + "on-model-change RESTART_STREAMS"));
            }
        }
    }

    /**
     * The first encoder of a JVM runs made-up chunks through the encode path before it takes real ones, so that
     * the JIT compiles it then, not while real outputs wait (the first 10-15 s of a job at 15 documents/s came
     * out 2-3 s late without it). A restarted task in the same JVM finds the code compiled and skips it; other
     * encoders starting meanwhile (more slots) do not wait for it, and get the compiled code as it comes. A
     * warm-up that fails leaves it to the next encoder that starts.
     */
    private void warmUpOnce() {
        if (!WARM_UP_STARTED.compareAndSet(false, true)) {
            return;
        }
        boolean done = false;
        try {
            long start = System.nanoTime();
            int forwards = encoder.warmUp(WARM_UP_FORWARDS, WARM_UP_BUDGET_MILLIS, batching);
            LOG.info("Encoder warm-up: {} forwards in {} ms", forwards, (System.nanoTime() - start) / 1_000_000);
            done = true;
        } finally {
            if (!done) {
                WARM_UP_STARTED.set(false);
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        streamMeta = getRuntimeContext().getState(
                new ValueStateDescriptor<>("stream-meta", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        kvBranches = new ArrayList<>();
        for (int b = 0; b < encoder.branches(); b++) {
            kvBranches.add(getRuntimeContext().getMapState(new MapStateDescriptor<>("kv-branch-" + b, Types.LONG,
                    PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)));
        }
        kvStore = new KeyedKvStore();
        if (restored) {
            refuseFormat1();
        }
        if (modelChanged) {
            restartEveryStream();
        }
        hot = new HotStreams<>(hotStateBytes, EncoderStream::heldBytes);
        tokensEncoded = getMetricGroup().counter("tokensEncoded");
        bytesWrittenToState = getMetricGroup().counter("bytesWrittenToState");
        evictions = getMetricGroup().counter("hotStreamEvictions");
        reloads = getMetricGroup().counter("hotStreamReloads");
        chunksFailed = getMetricGroup().counter("chunksFailed");
        chunkLatencyMillis = getMetricGroup().histogram("chunkLatencyMillis", new DescriptiveStatisticsHistogram(1024));
        chunksPerBatch = getMetricGroup().histogram("chunksPerBatch", new DescriptiveStatisticsHistogram(1024));
        barrierWriteMillis = getMetricGroup().histogram("barrierWriteMillis",
                new DescriptiveStatisticsHistogram(1024));
        pending = new ArrayList<>();
        pendingStreams = new HashSet<>();
        getMetricGroup().meter("tokensPerSecond", new MeterView(tokensEncoded));
        positions = new ConcurrentHashMap<>();
        getMetricGroup().gauge("kvStateBytes", () -> kvStateBytes);
        getMetricGroup().gauge("hotStateBytes", () -> heldBytes);
        getMetricGroup().gauge("hotStatePeakBytes", () -> peakHeldBytes);
        getMetricGroup().gauge("hotStreams", () -> hotCount);
    }

    /**
     * State format 1 kept a stream in {@code decoder-state}, which this build does not read: taken as a stream
     * without state, it would restart at 0 while its tokenizer is further on. Refused at start instead.
     */
    private void refuseFormat1() throws Exception {
        getRuntimeContext().getState(
                new ValueStateDescriptor<>("decoder-state", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        try (Stream<Object> keys = getKeyedStateBackend().getKeys("decoder-state", VoidNamespace.INSTANCE)) {
            Object stream = keys.findFirst().orElse(null);
            if (stream != null) {
                throw new SuppressRestartsException(new IllegalStateException("the encoder's checkpoint holds stream '"
                        + stream + "' in state format 1 ('decoder-state'), which does not start with the LNS2 marker: "
                        + "this build reads format " + StreamMeta.VERSION + " only (operators/STATE-FORMAT.md); start "
                        + "the job without this checkpoint"));
            }
        }
    }

    /**
     * Restored from another model's state with {@link ModelChange#RESTART_STREAMS}: every stream's context restarts
     * at its position now, idle ones too, so that after the next checkpoint no stream holds the old model's rows
     * and {@code encoder-model} names the one model that wrote the state. Maps of branches the new model lacks are
     * cleared for every stream.
     */
    private void restartEveryStream() throws Exception {
        List<MapState<Long, byte[]>> stale = new ArrayList<>();
        List<String> names = new ArrayList<>(List.of("stream-meta"));
        for (int b = encoder.branches(); b < restoredBranches; b++) {
            stale.add(getRuntimeContext().getMapState(new MapStateDescriptor<>("kv-branch-" + b, Types.LONG,
                    PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)));
            names.add("kv-branch-" + b);
        }
        List<Object> streams;
        try (Stream<Object> keys = getKeyedStateBackend().getKeys(names, VoidNamespace.INSTANCE)) {
            streams = keys.distinct().toList(); // collected first: the loop below writes the states it lists
        }
        int restarted = 0;
        for (Object stream : streams) {
            setCurrentKey(stream);
            for (MapState<Long, byte[]> map : stale) {
                map.clear();
            }
            byte[] bytes = streamMeta.value();
            if (bytes == null) {
                continue;
            }
            StreamMeta meta = readMeta(stream.toString(), bytes);
            if (!meta.modelFingerprint().equals(encoder.modelFingerprint())) {
                for (int b = 0; b < encoder.branches(); b++) {
                    kvStore.clear(b);
                }
                streamMeta.update(new StreamMeta(encoder.modelFingerprint(), meta.position(), meta.position(), null)
                        .toBytes());
                restarted++;
            }
        }
        LOG.warn("Model change: {} of {} streams restarted their context at their position", restarted,
                streams.size());
    }

    private static StreamMeta readMeta(String stream, byte[] bytes) {
        try {
            return StreamMeta.fromBytes(bytes);
        } catch (RuntimeException e) {
            throw unreadable(stream, e);
        }
    }

    /**
     * A stream whose stored state cannot be used fails the job for good: restarting from the same checkpoint
     * would read the same state again, a restart loop. The operator must decide (another checkpoint, or none).
     */
    private static SuppressRestartsException unreadable(String stream, Exception cause) {
        return new SuppressRestartsException(new IllegalStateException("the encoder cannot use the stored state of "
                + "stream '" + stream + "': " + cause.getMessage(), cause));
    }

    private ChunkEncoder loadEncoder() {
        ModelDirectory model;
        CorpusTokenizer tokenizer;
        try {
            model = ModelDirectory.load(Path.of(modelDir));
            tokenizer = CorpusTokenizer.forModel(model.dir());
            tokenizer.checkModelVocabulary(model.config().vocabSize());
        } catch (RuntimeException e) {
            throw new SuppressRestartsException(new IllegalStateException("encoder cannot use model directory '"
                    + modelDir + "': " + e.getMessage(), e));
        }
        long oneStream = oneStreamBytes(model.config());
        oneStreamBytes = oneStream;
        if (hotStateBytes < oneStream) {
            throw new SuppressRestartsException(new IllegalArgumentException("hot state memory " + hotStateBytes
                    + " bytes is below what one stream of model '" + modelDir + "' may hold (" + oneStream + " bytes)"));
        }
        LOG.info("Encoder loaded model {} from {} ({} layers, embed dim {}, tokenizer {}); hot k/v memory {} bytes, "
                + "one stream at most {} bytes", model.fingerprint(), modelDir, model.config().layers(),
                model.config().embedDim(), tokenizer, hotStateBytes, oneStream);
        return new ChunkEncoder(new LongNetDecoder(model.weights()), model.fingerprint(), topK, predictions,
                tokenizer);
    }

    @Override
    public void processElement(StreamRecord<StreamChunk> element) throws Exception {
        StreamChunk in = element.getValue();
        String stream = in.stream();
        if (!stream.equals(getCurrentKey())) {
            throw new IllegalStateException("encoder must be keyed by stream: chunk of stream '" + stream
                    + "' arrived under key '" + getCurrentKey() + "'");
        }
        int tokens = in.chunk().length();
        if (!pending.isEmpty() && (pendingStreams.contains(stream) || !batching.fits(pendingRows, tokens))) {
            encodeBatch();
        }
        pending.add(new Pending(in, element.hasTimestamp(), element.getTimestamp()));
        pendingStreams.add(stream);
        pendingRows += ChunkEncoder.logitsRows(tokens);
        if (batching.waitMillis() == 0 || !batching.fits(pendingRows, 1)) {
            encodeBatch();
        } else if (pending.size() == 1) {
            long batch = batchGeneration;
            ProcessingTimeService time = getProcessingTimeService();
            time.registerTimer(time.getCurrentProcessingTime() + batching.waitMillis(), now -> {
                if (batch == batchGeneration) {
                    encodeBatch();
                }
            });
        }
    }

    /** The waiting chunks go out before a watermark passes them (the job has none but the final one). */
    @Override
    public void processWatermark(Watermark mark) throws Exception {
        encodeBatch();
        super.processWatermark(mark);
    }

    @Override
    public void finish() throws Exception {
        encodeBatch();
        super.finish();
    }

    /**
     * Encodes the waiting chunks (as many streams per forward as the hot-state memory allows), then writes streams
     * beyond {@code unwrittenStateBytes}.
     */
    private void encodeBatch() throws Exception {
        encodePending(true);
    }

    /** @param writeBeyondLimit whether to write streams beyond {@code unwrittenStateBytes} after the forwards */
    private void encodePending(boolean writeBeyondLimit) throws Exception {
        if (pending == null || pending.isEmpty()) { // null: finished after a failed start, before open
            return;
        }
        List<Pending> batch = pending;
        pending = new ArrayList<>();
        pendingStreams.clear();
        pendingRows = 0;
        batchGeneration++;
        Object key = getCurrentKey();
        for (int from = 0; from < batch.size(); ) {
            from = encodeFitting(batch, from);
        }
        if (writeBeyondLimit) {
            writeBeyondUnwrittenLimit();
        }
        if (key != null) {
            setCurrentKey(key);
        }
    }

    /**
     * Loads the streams of {@code batch[from, to)}, as many as fit in the hot-state memory at what they may grow to
     * in this forward (at least one), encodes them in one forward and emits their chunks; returns {@code to}.
     */
    private int encodeFitting(List<Pending> batch, int from) throws Exception {
        List<String> members = new ArrayList<>();
        List<ChunkEncoder.Input> inputs = new ArrayList<>();
        long reserved = 0; // what the members may hold after this forward
        int to = from;
        while (to < batch.size()) {
            StreamChunk in = batch.get(to).chunk();
            if (hot.get(in.stream()) == null) {
                if (to > from && reserved + oneStreamBytes > hotStateBytes) {
                    break;
                }
                members.add(in.stream());
                makeRoom(members, reserved + oneStreamBytes); // room to load it at its bound
            } else {
                members.add(in.stream());
            }
            setCurrentKey(in.stream());
            EncoderStream state = hotStream(in.stream());
            long after = state.heldBytesAfter(in.chunk().length());
            if (to > from && reserved + after > hotStateBytes) {
                members.remove(members.size() - 1);
                break;
            }
            reserved += after;
            inputs.add(new ChunkEncoder.Input(in.stream(), state, in.chunk()));
            to++;
        }
        makeRoom(members, reserved);
        encodeAndEmit(batch.subList(from, to), inputs);
        return to;
    }

    private void encodeAndEmit(List<Pending> chunks, List<ChunkEncoder.Input> inputs) {
        long[] keptBefore = new long[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            keptBefore[i] = inputs.get(i).state().stateBytes();
        }
        long start = System.nanoTime();
        List<ChunkEncoder.Encoded> encoded;
        try {
            encoded = encoder.encode(inputs);
        } catch (StreamStateLost e) {
            throw new SuppressRestartsException(e);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        chunksPerBatch.update(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            ChunkEncoder.Input in = inputs.get(i);
            ChunkEncoder.Encoded out = encoded.get(i);
            if (out.stream() != in.state()) {
                hot.put(in.stream(), out.stream()); // the context restarted after a failed document
            }
            if (!out.chunk().failures().isEmpty()) {
                chunksFailed.inc();
            }
            chunkLatencyMillis.update(millis);
            kvStateBytes += out.stream().stateBytes() - keptBefore[i];
            hot.resized(in.stream());
            tokensEncoded.inc(in.chunk().length());
            trackPosition(in.stream(), out.stream().position());
            Pending p = chunks.get(i);
            output.collect(p.hasTimestamp() ? new StreamRecord<>(out.chunk(), p.timestamp())
                    : new StreamRecord<>(out.chunk()));
        }
        peakHeldBytes = Math.max(peakHeldBytes, hot.bytes());
        heldBytes = hot.bytes();
        hotCount = hot.size();
    }

    /**
     * The stream's position as a gauge {@code stream.<name>.position}, for the first streams of this subtask only:
     * the map holds no entry for the others, so it does not grow with every stream ever seen.
     */
    private void trackPosition(String stream, long position) {
        if (positions.containsKey(stream)) {
            positions.put(stream, position);
        } else if (positions.size() < STREAM_METRICS_LIMIT) {
            positions.put(stream, position);
            getMetricGroup().addGroup("stream", stream).gauge("position", () -> positions.get(stream));
        }
    }

    /** Streams whose position is tracked (for tests). */
    int trackedPositions() {
        return positions.size();
    }

    /** The stream's hot copy, rebuilt from keyed state (the current key's) when not in memory. */
    private EncoderStream hotStream(String stream) throws Exception {
        EncoderStream state = hot.get(stream);
        if (state == null) {
            byte[] meta = streamMeta.value();
            if (meta == null) {
                state = encoder.newStream();
            } else {
                try {
                    state = encoder.restore(stream, StreamMeta.fromBytes(meta), kvStore, onModelChange);
                } catch (Exception e) {
                    throw unreadable(stream, e);
                }
                reloads.inc();
            }
            hot.put(stream, state);
            kvStateBytes += state.stateBytes();
        }
        return state;
    }

    /**
     * Writes back and drops the least recently used streams other than {@code members} until the rest fit in the
     * memory limit beside {@code members} grown to {@code membersAtMost} bytes: before they are loaded and
     * encoded, so that the limit holds while they grow.
     */
    private void makeRoom(List<String> members, long membersAtMost) throws Exception {
        int dropped = hot.makeRoom(members, membersAtMost, (stream, state) -> {
            setCurrentKey(stream);
            writeIfDirty(state);
            kvStateBytes -= state.stateBytes();
        });
        if (dropped > 0) {
            evictions.inc(dropped);
        }
    }

    /**
     * When the hot streams hold more than {@code unwrittenStateBytes} of new rows unwritten, writes the streams
     * with the most until at most half of it is left: the writes a checkpoint barrier would do at once are done a
     * few streams at a time, after the forwards whose outputs went out. Rows written this way whose segment closes
     * before the checkpoint were written for nothing (their map is cleared): more bytes to disk per token than
     * writes at the barriers alone (README, "State on disk").
     */
    private void writeBeyondUnwrittenLimit() throws Exception {
        List<Map.Entry<String, EncoderStream>> dirty = new ArrayList<>();
        for (Map.Entry<String, EncoderStream> e : hot.all()) {
            if (e.getValue().dirty()) {
                dirty.add(e);
            }
        }
        for (Map.Entry<String, EncoderStream> e : UnwrittenRows.streamsToWrite(dirty,
                stream -> stream.getValue().unwrittenTokens(), encoder.newRowBytesPerToken(), unwrittenStateBytes)) {
            setCurrentKey(e.getKey());
            writeIfDirty(e.getValue());
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        // its outputs go before the barrier: no chunk is in flight in a checkpoint; what it leaves unwritten is
        // written next, all of it, timed as the barrier's write
        encodePending(false);
        long start = System.nanoTime();
        writeDirty();
        barrierWriteMillis.update((System.nanoTime() - start) / 1_000_000);
    }

    /** Normally writes nothing (the pre-barrier hook already did); keeps snapshots complete without it. */
    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (!pending.isEmpty()) {
            throw new IllegalStateException("the encoder holds " + pending.size() + " chunks not yet encoded at a "
                    + "snapshot: prepareSnapshotPreBarrier must run first");
        }
        writeDirty();
        encoderModel.update(List.of(encoder.modelFingerprint()));
        encoderBranches.update(List.of(encoder.branches()));
    }

    private void writeDirty() throws Exception {
        Object currentKey = getCurrentKey();
        for (Map.Entry<String, EncoderStream> e : hot.all()) {
            if (e.getValue().dirty()) {
                setCurrentKey(e.getKey());
                writeIfDirty(e.getValue());
            }
        }
        if (currentKey != null) {
            setCurrentKey(currentKey);
        }
    }

    /** Writes one stream's new rows and meta under the current key. */
    private void writeIfDirty(EncoderStream state) throws Exception {
        if (!state.dirty()) {
            return;
        }
        ChunkEncoder.Persisted written = encoder.persist(state, kvStore);
        byte[] meta = written.meta().toBytes();
        streamMeta.update(meta);
        bytesWrittenToState.inc(written.kvBytes() + meta.length);
    }

    /** The current key's k/v pieces, one map per branch. */
    private final class KeyedKvStore implements KvStore {
        @Override
        public Iterable<Map.Entry<Long, byte[]>> pieces(int branch) throws Exception {
            return kvBranches.get(branch).entries();
        }

        @Override
        public void put(int branch, long key, byte[] rows) throws Exception {
            kvBranches.get(branch).put(key, rows);
        }

        @Override
        public void clear(int branch) {
            kvBranches.get(branch).clear();
        }
    }

    @Override
    public void close() throws Exception {
        if (hot != null) {
            hot.clear();
        }
        super.close();
    }
}
