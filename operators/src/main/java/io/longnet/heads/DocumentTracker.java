package io.longnet.heads;

import io.longnet.text.DocSpan;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds one stream's encoded chunks, in stream order, to the accumulators of their documents.
 *
 * <p>Chunks are consecutive runs of the stream, so between two chunks at most one document is open:
 * the one the previous chunk ended inside. That accumulator is the whole per-stream state; the Flink
 * operator keeps it as {@link DocumentAccumulator#toBytes()}. Any gap or reordering (a span that
 * does not continue exactly where the open document stopped) fails loudly, because it means state or
 * chunks were lost.
 *
 * <p>Notation: n = chunk tokens, E = feature width. Row i of a chunk is stream position
 * {@code chunkFirstPosition + i}; {@code nll[i]} is -ln p(token i | everything before it).
 */
public final class DocumentTracker {

    /**
     * @param finished documents whose last token was in the chunk, in stream order
     * @param stillOpen the document the chunk ended inside, or null
     */
    public record Step(List<DocumentResult> finished, DocumentAccumulator stillOpen) {
    }

    private DocumentTracker() {
    }

    /**
     * @param open the document left open by the previous chunk, or null
     * @param features {@code [n, E]} row-major
     * @param nll {@code [n]}, or null when predictions are off (results then carry NaN scores)
     */
    public static Step accept(DocumentAccumulator open, Pooling pooling, int embedDim, long chunkFirstPosition,
            List<DocSpan> spans, float[] features, double[] nll) {
        List<DocumentResult> finished = new ArrayList<>();
        DocumentAccumulator current = open;
        for (DocSpan span : spans) {
            DocumentAccumulator acc = span.docStartsHere()
                    ? start(current, span, pooling, embedDim, chunkFirstPosition)
                    : resume(current, span, chunkFirstPosition);
            acc.addFeatureRows(features, span.offsetInChunk(), span.countInChunk());
            if (nll != null) {
                acc.addNll(nll, span.offsetInChunk(), span.countInChunk());
            }
            if (span.docEndsHere()) {
                finished.add(nll != null ? acc.finish() : acc.finishEmbeddingOnly());
                current = null;
            } else {
                current = acc;
            }
        }
        return new Step(finished, current);
    }

    private static DocumentAccumulator start(DocumentAccumulator current, DocSpan span, Pooling pooling,
            int embedDim, long chunkFirstPosition) {
        if (current != null) {
            throw new IllegalStateException("document '" + current.docId() + "' is still open with "
                    + current.rowCount() + " of " + current.tokenCount() + " tokens, but the chunk at position "
                    + chunkFirstPosition + " starts document '" + span.docId() + "': chunks were lost or reordered");
        }
        return new DocumentAccumulator(span.docId(), span.docFirstPosition(), span.docTokenCount(), pooling,
                embedDim);
    }

    private static DocumentAccumulator resume(DocumentAccumulator current, DocSpan span, long chunkFirstPosition) {
        long spanFirst = chunkFirstPosition + span.offsetInChunk();
        if (current == null || !current.docId().equals(span.docId())
                || current.firstPosition() != span.docFirstPosition()
                || current.firstPosition() + current.rowCount() != spanFirst) {
            String openDoc = current == null ? "no document is open"
                    : "the open document is '" + current.docId() + "' at position " + current.firstPosition()
                            + " with " + current.rowCount() + " tokens seen";
            throw new IllegalStateException("the chunk at position " + chunkFirstPosition + " continues document '"
                    + span.docId() + "' (first position " + span.docFirstPosition() + ") at position " + spanFirst
                    + ", but " + openDoc + ": document state was lost or chunks were reordered");
        }
        return current;
    }
}
