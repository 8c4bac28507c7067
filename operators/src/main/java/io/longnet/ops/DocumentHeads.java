package io.longnet.ops;

import io.longnet.heads.DocumentAccumulator;
import io.longnet.heads.DocumentResult;
import io.longnet.heads.DocumentTracker;
import io.longnet.heads.Pooling;
import io.longnet.kafka.DocumentFailure;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopToken;
import io.longnet.text.DocSpan;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by stream: pools each document's feature rows into an embedding and, with predictions on, its
 * mean NLL, bits per byte and top-k next tokens. Every decision is {@link DocumentTracker}'s; the state is the one
 * document a chunk may end inside ({@code open-document}, {@link DocumentAccumulator#toBytes()}).
 * Emits one {@link EmbeddingOut} per document, and one {@link PredictionOut} on {@link #PREDICTIONS}
 * when predictions are on, once the document's last token has been seen.
 *
 * <p>A document that cannot get them goes whole to {@link #FAILURES} instead, once, with the reason: a document
 * the encoder failed ({@link EncodedChunk#failures()}; its later spans are skipped: {@code failing-document}, the
 * first position of that document), one that has no scored token, and every document of a chunk on which
 * these heads themselves throw. So one input never stops the job: documents in = embeddings + failures
 * (+ the parser's dead letters).
 *
 * <p>Metrics: {@code documentsEmitted} and {@code documentsFailed} (all streams) and {@code documents} per stream
 * (group {@code stream}, the first {@link #STREAM_METRICS_LIMIT} streams of a subtask); histogram
 * {@code documentLatencyMillis}: per emitted document, from its Kafka record's timestamp to the moment its outputs go
 * to the sinks (documents without a record timestamp are not sampled).
 */
public final class DocumentHeads extends KeyedProcessFunction<String, EncodedChunk, EmbeddingOut> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DocumentHeads.class);

    public static final OutputTag<PredictionOut> PREDICTIONS = new OutputTag<>("predictions") { };
    public static final OutputTag<DocumentFailure> FAILURES = new OutputTag<>("document-failures") { };

    /** Streams per subtask with their own {@code documents} counter; the rest count only in the total. */
    public static final int STREAM_METRICS_LIMIT = 100;

    /** Latency samples kept for the histogram's quantiles: the latest documents, at least a few seconds' worth. */
    static final int LATENCY_WINDOW = 4096;

    private final Pooling pooling;
    private final int topK;
    private final boolean predictions;

    private transient ValueState<byte[]> openDocument;
    private transient ValueState<Long> failingDocument; // first position of a failed document still arriving
    private transient Counter documentsEmitted;
    private transient Counter documentsFailed;
    private transient PerStreamCounters documentsPerStream;
    private transient Histogram documentLatencyMillis;

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
        failingDocument = getRuntimeContext().getState(new ValueStateDescriptor<>("failing-document", Types.LONG));
        documentsEmitted = getRuntimeContext().getMetricGroup().counter("documentsEmitted");
        documentsFailed = getRuntimeContext().getMetricGroup().counter("documentsFailed");
        documentsPerStream = new PerStreamCounters(getRuntimeContext().getMetricGroup(), "documents",
                STREAM_METRICS_LIMIT);
        documentLatencyMillis = getRuntimeContext().getMetricGroup().histogram("documentLatencyMillis",
                new DescriptiveStatisticsHistogram(LATENCY_WINDOW));
    }

    @Override
    public void processElement(EncodedChunk chunk, Context ctx, Collector<EmbeddingOut> out) throws Exception {
        Long failing = failingDocument.value();
        byte[] bytes = openDocument.value();
        DocumentAccumulator open = bytes == null ? null : DocumentAccumulator.fromBytes(bytes);
        DocumentTracker.Step step;
        try {
            step = accept(chunk, failing, open);
        } catch (RuntimeException e) {
            LOG.warn("Stream '{}': the document heads failed on the chunk at position {}; its documents go to the "
                    + "dead letters", chunk.stream(), chunk.firstPosition(), e);
            DocumentTracker.Failure failure = DocumentTracker.fail(open,
                    DocumentTracker.skipFailing(failing, chunk.spans()), "document heads: " + e.getMessage());
            for (DocumentTracker.FailedDocument doc : failure.failed()) {
                emitFailure(chunk, ctx, doc);
            }
            store(null, failure.stillFailing());
            return;
        }
        for (DocumentResult doc : step.finished()) {
            documentsEmitted.inc();
            documentsPerStream.inc(chunk.stream());
            recordLatency(chunk.sourceTimestampOf(doc.firstPosition()));
            out.collect(new EmbeddingOut(doc.docId(), chunk.stream(), doc.firstPosition(), doc.tokenCount(),
                    doc.embedding(), chunk.modelFingerprint()));
            if (predictions) {
                ctx.output(PREDICTIONS, new PredictionOut(doc.docId(), chunk.stream(), doc.firstPosition(),
                        doc.tokenCount(), doc.meanNll(), doc.perplexity(), doc.bitsPerByte(), topNext(chunk, doc)));
            }
        }
        for (DocumentTracker.FailedDocument doc : step.failed()) {
            emitFailure(chunk, ctx, doc);
        }
        store(step.stillOpen(), step.stillFailing());
    }

    private void recordLatency(long sourceTimestamp) {
        if (sourceTimestamp != DocSpan.NO_TIMESTAMP) {
            documentLatencyMillis.update(System.currentTimeMillis() - sourceTimestamp);
        }
    }

    private DocumentTracker.Step accept(EncodedChunk chunk, Long failing, DocumentAccumulator open) {
        if (predictions && chunk.nll() == null) {
            throw new IllegalStateException("predictions are on but the chunk of stream '" + chunk.stream()
                    + "' at position " + chunk.firstPosition() + " has no NLL: the encoder runs with predictions off");
        }
        return DocumentTracker.accept(failing, open, pooling, chunk.embedDim(), chunk.firstPosition(), chunk.spans(),
                chunk.features(), predictions ? chunk.nll() : null, chunk::failureOf);
    }

    private void emitFailure(EncodedChunk chunk, Context ctx, DocumentTracker.FailedDocument doc) {
        documentsFailed.inc();
        ctx.output(FAILURES, new DocumentFailure(doc.docId(), chunk.stream(), doc.firstPosition(), doc.tokenCount(),
                doc.reason(), chunk.modelFingerprint()));
    }

    private void store(DocumentAccumulator stillOpen, Long stillFailing) throws Exception {
        if (stillOpen == null) {
            openDocument.clear();
        } else {
            openDocument.update(stillOpen.toBytes());
        }
        if (stillFailing == null) {
            failingDocument.clear();
        } else {
            failingDocument.update(stillFailing);
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
