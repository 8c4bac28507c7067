package io.longnet.ops;

import io.longnet.heads.DocumentAccumulator;
import io.longnet.heads.DocumentResult;
import io.longnet.heads.DocumentTracker;
import io.longnet.heads.Pooling;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopToken;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Keyed by stream: pools each document's feature rows into an embedding and, with predictions on, its
 * mean NLL and top-k next tokens. Every decision is {@link DocumentTracker}'s; the state is the one
 * document a chunk may end inside ({@code open-document}, {@link DocumentAccumulator#toBytes()}).
 * Emits one {@link EmbeddingOut} per document, and one {@link PredictionOut} on {@link #PREDICTIONS}
 * when predictions are on, once the document's last token has been seen. Metrics: {@code documentsEmitted} (all
 * streams) and {@code documents} per stream (group {@code stream}, the first {@link #STREAM_METRICS_LIMIT}
 * streams of a subtask).
 */
public final class DocumentHeads extends KeyedProcessFunction<String, EncodedChunk, EmbeddingOut> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<PredictionOut> PREDICTIONS = new OutputTag<>("predictions") { };

    /** Streams per subtask with their own {@code documents} counter; the rest count only in the total. */
    public static final int STREAM_METRICS_LIMIT = 100;

    private final Pooling pooling;
    private final int topK;
    private final boolean predictions;

    private transient ValueState<byte[]> openDocument;
    private transient Counter documentsEmitted;
    private transient PerStreamCounters documentsPerStream;

    /**
     * @param pooling how feature rows become the embedding
     * @param topK most next tokens per prediction, >= 0 (the encoder's lists are cut to this length)
     * @param predictions whether to emit predictions; the encoder must then compute them too
     */
    public DocumentHeads(Pooling pooling, int topK, boolean predictions) {
        if (pooling == null) {
            throw new IllegalArgumentException("pooling must be set");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        this.pooling = pooling;
        this.topK = topK;
        this.predictions = predictions;
    }

    @Override
    public void open(OpenContext openContext) {
        openDocument = getRuntimeContext().getState(
                new ValueStateDescriptor<>("open-document", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        documentsEmitted = getRuntimeContext().getMetricGroup().counter("documentsEmitted");
        documentsPerStream = new PerStreamCounters(getRuntimeContext().getMetricGroup(), "documents",
                STREAM_METRICS_LIMIT);
    }

    @Override
    public void processElement(EncodedChunk chunk, Context ctx, Collector<EmbeddingOut> out) throws Exception {
        if (predictions && chunk.nll() == null) {
            throw new IllegalStateException("predictions are on but the chunk of stream '" + chunk.stream()
                    + "' at position " + chunk.firstPosition() + " has no NLL: the encoder runs with predictions off");
        }
        byte[] bytes = openDocument.value();
        DocumentTracker.Step step = DocumentTracker.accept(
                bytes == null ? null : DocumentAccumulator.fromBytes(bytes), pooling, chunk.embedDim(),
                chunk.firstPosition(), chunk.spans(), chunk.features(), predictions ? chunk.nll() : null);
        for (DocumentResult doc : step.finished()) {
            documentsEmitted.inc();
            documentsPerStream.inc(chunk.stream());
            out.collect(new EmbeddingOut(doc.docId(), chunk.stream(), doc.firstPosition(), doc.tokenCount(),
                    doc.embedding(), chunk.modelFingerprint()));
            if (predictions) {
                ctx.output(PREDICTIONS, new PredictionOut(doc.docId(), chunk.stream(), doc.firstPosition(),
                        doc.tokenCount(), doc.meanNll(), doc.perplexity(), topNext(chunk, doc)));
            }
        }
        if (step.stillOpen() == null) {
            openDocument.clear();
        } else {
            openDocument.update(step.stillOpen().toBytes());
        }
    }

    private List<TopToken> topNext(EncodedChunk chunk, DocumentResult doc) {
        if (topK == 0) {
            return List.of();
        }
        List<TopToken> top = chunk.topNextOf(doc.firstPosition()).orElseThrow(() -> new IllegalStateException(
                "chunk of stream '" + chunk.stream() + "' at position " + chunk.firstPosition() + " ends document '"
                        + doc.docId() + "' but carries no top-k list for it: the encoder runs with top-k 0"));
        return top.subList(0, Math.min(topK, top.size()));
    }
}
