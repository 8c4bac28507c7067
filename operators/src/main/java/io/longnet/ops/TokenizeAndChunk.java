package io.longnet.ops;

import io.longnet.kafka.Document;
import io.longnet.text.Chunk;
import io.longnet.text.ChunkerConfig;
import io.longnet.text.CorpusTokenizer;
import io.longnet.text.StreamChunker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by {@link SourcedDocument#stream()}: appends each document as {@code SEP tokens} (the model's tokenizer
 * and separator) to its stream's
 * {@link StreamChunker} (kept in keyed state as bytes) and emits full chunks at once. The rest waits
 * for more documents, but at most {@code flushIntervalMillis} of processing time after the first pending
 * token: then a timer flushes it as one short chunk, so a lone document never waits.
 *
 * <p>A stream's documents have an order only while they come from one Kafka partition (producers key by
 * stream). The stream's partition is kept ({@code source-partition}); a document from another one is
 * still chunked, in arrival order, but logged and counted ({@code streamPartitionChanges}): a producer
 * not keying by stream, or a repartitioned topic.
 *
 * <p>Restored with another chunk-size, the pending tokens are cut by the new size; restored with a shorter
 * flush interval, a timer of the old one is brought forward by the stream's next document.
 */
public final class TokenizeAndChunk extends KeyedProcessFunction<String, SourcedDocument, StreamChunk> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TokenizeAndChunk.class);

    private final int maxChunkTokens;
    private final long flushIntervalMillis;
    private final String tokenizerName;

    private transient ChunkerConfig config;
    private transient CorpusTokenizer tokenizer;
    private transient ValueState<byte[]> chunkerState; // StreamChunker.toBytes()
    private transient ValueState<Long> flushTimer;     // processing time of the pending flush, if any
    private transient ValueState<Integer> sourcePartition;
    private transient Counter tokensChunked;
    private transient Counter partitionChanges;

    /**
     * @param maxChunkTokens most tokens in a chunk (setting chunk-size), at least 2
     * @param flushIntervalMillis longest processing-time wait before pending tokens go out as a short
     *     chunk, >= 0 (0 flushes after every document)
     * @param tokenizer the model's tokenizer ({@link CorpusTokenizer#forModel}); only its name travels to the
     *     TaskManagers, where the shared instance is looked up
     */
    public TokenizeAndChunk(int maxChunkTokens, long flushIntervalMillis, CorpusTokenizer tokenizer) {
        // validated when the job is built
        this.maxChunkTokens = new ChunkerConfig(maxChunkTokens, tokenizer).maxChunkTokens();
        if (flushIntervalMillis < 0) {
            throw new IllegalArgumentException("flush interval must be >= 0 ms, got " + flushIntervalMillis);
        }
        this.flushIntervalMillis = flushIntervalMillis;
        this.tokenizerName = tokenizer.name();
    }

    @Override
    public void open(OpenContext openContext) {
        tokenizer = CorpusTokenizer.named(tokenizerName);
        config = new ChunkerConfig(maxChunkTokens, tokenizer);
        chunkerState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("stream-chunker", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        flushTimer = getRuntimeContext().getState(new ValueStateDescriptor<>("flush-timer", Types.LONG));
        sourcePartition = getRuntimeContext().getState(new ValueStateDescriptor<>("source-partition", Types.INT));
        tokensChunked = getRuntimeContext().getMetricGroup().counter("tokensChunked");
        partitionChanges = getRuntimeContext().getMetricGroup().counter("streamPartitionChanges");
    }

    @Override
    public void processElement(SourcedDocument sourced, Context ctx, Collector<StreamChunk> out) throws Exception {
        checkPartition(ctx.getCurrentKey(), sourced);
        Document doc = sourced.document();
        StreamChunker chunker = loadChunker();
        // The tokens stand for exactly the text's UTF-8 bytes: both tokenizers are lossless on valid Unicode, and a
        // Document's text never holds an unpaired surrogate.
        chunker.append(doc.id(), tokenizer.encode(doc.text()), doc.text().getBytes(StandardCharsets.UTF_8).length,
                sourced.timestamp());
        emit(ctx.getCurrentKey(), chunker.drainFull(), out);
        if (flushIntervalMillis == 0) {
            emit(ctx.getCurrentKey(), chunker.drainAll(), out);
        }
        Long timer = flushTimer.value();
        long due = ctx.timerService().currentProcessingTime() + flushIntervalMillis;
        // A timer due later than this flush interval allows was set before a restore with a shorter one.
        if (chunker.pendingTokenCount() > 0 && (timer == null || timer > due)) {
            if (timer != null) {
                ctx.timerService().deleteProcessingTimeTimer(timer);
            }
            ctx.timerService().registerProcessingTimeTimer(due);
            flushTimer.update(due);
        } else if (chunker.pendingTokenCount() == 0 && timer != null) {
            ctx.timerService().deleteProcessingTimeTimer(timer);
            flushTimer.clear();
        }
        chunkerState.update(chunker.toBytes());
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<StreamChunk> out) throws Exception {
        flushTimer.clear();
        StreamChunker chunker = loadChunker();
        // drainAll, not flush: restored with a smaller chunk-size, more than a chunk may be pending here.
        emit(ctx.getCurrentKey(), chunker.drainAll(), out);
        chunkerState.update(chunker.toBytes());
    }

    private void checkPartition(String stream, SourcedDocument sourced) throws Exception {
        Integer known = sourcePartition.value();
        if (known != null && known != sourced.partition()) {
            partitionChanges.inc();
            LOG.warn("Stream '{}' had its documents from partition {}, but document '{}' comes from partition {}: "
                    + "its order relative to the stream's other documents is not defined (producers must key by "
                    + "stream; was the topic repartitioned?)", stream, known, sourced.document().id(),
                    sourced.partition());
        }
        if (known == null || known != sourced.partition()) {
            sourcePartition.update(sourced.partition());
        }
    }

    /** The stream's chunker; the configured chunk-size applies to a restored one too. */
    private StreamChunker loadChunker() throws Exception {
        byte[] bytes = chunkerState.value();
        return bytes == null ? new StreamChunker(config) : StreamChunker.fromBytes(bytes, config);
    }

    private void emit(String stream, List<Chunk> chunks, Collector<StreamChunk> out) {
        for (Chunk chunk : chunks) {
            tokensChunked.inc(chunk.length());
            out.collect(new StreamChunk(stream, chunk));
        }
    }
}
