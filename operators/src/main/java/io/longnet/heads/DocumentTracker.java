package io.longnet.heads;

import io.longnet.text.DocSpan;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

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
     * @param failed documents that get no output, each once, in stream order, with the reason: those the encoder
     *     failed, and those that ended with no token scored (a one-token document at the start of a restarted
     *     context: it has no prediction)
     * @param stillFailing first position of the failed document the chunk ended inside (its later spans are
     *     skipped), or null
     */
    public record Step(List<DocumentResult> finished, DocumentAccumulator stillOpen, List<FailedDocument> failed,
            Long stillFailing) {
    }

    /** A document that gets no output, with what identifies it in its stream, and why. */
    public record FailedDocument(String docId, long firstPosition, int tokenCount, String reason) {
    }

    /**
     * What a chunk the heads could not take does to its stream's documents.
     *
     * @param failed every document with a token in the chunk, in stream order, except one that had already
     *     failed: the open document if the chunk continues it, and each document that starts in it
     * @param stillFailing first position of the failed document the chunk ended inside (its later spans are
     *     skipped), or null
     */
    public record Failure(List<FailedDocument> failed, Long stillFailing) {
    }

    private DocumentTracker() {
    }

    /**
     * @param failing first position of a document that failed in an earlier chunk and goes on, or null: its
     *     spans here are skipped (it was dead-lettered once already), its last one ends the failure
     * @param open the document left open by the previous chunk, or null
     * @param features {@code [n, E]} row-major
     * @param nll {@code [n]}, or null when predictions are off (results then carry NaN scores)
     * @param encoderFailures why the encoder failed a document, by its first position (absent: it did not)
     */
    public static Step accept(Long failing, DocumentAccumulator open, Pooling pooling, int embedDim,
            long chunkFirstPosition, List<DocSpan> spans, float[] features, double[] nll,
            Function<Long, String> encoderFailures) {
        List<DocumentResult> finished = new ArrayList<>();
        List<FailedDocument> failed = new ArrayList<>();
        DocumentAccumulator current = open;
        Long stillFailing = failing;
        for (DocSpan span : spans) {
            if (stillFailing != null && !span.docStartsHere() && span.docFirstPosition() == stillFailing) {
                stillFailing = span.docEndsHere() ? null : stillFailing;
                continue;
            }
            DocumentAccumulator acc = span.docStartsHere()
                    ? start(current, span, pooling, embedDim, chunkFirstPosition)
                    : resume(current, span, chunkFirstPosition);
            current = null;
            String reason = encoderFailures.apply(span.docFirstPosition());
            if (reason != null) {
                failed.add(new FailedDocument(acc.docId(), acc.firstPosition(), acc.tokenCount(), reason));
                stillFailing = span.docEndsHere() ? null : span.docFirstPosition();
                continue;
            }
            acc.addFeatureRows(features, span.offsetInChunk(), span.countInChunk());
            if (nll != null) {
                acc.addNll(nll, span.offsetInChunk(), span.countInChunk());
            }
            if (!span.docEndsHere()) {
                current = acc;
            } else if (nll != null && acc.scoredTokenCount() == 0) {
                failed.add(new FailedDocument(acc.docId(), acc.firstPosition(), acc.tokenCount(), UNSCORED));
            } else {
                finished.add(nll != null ? acc.finish() : acc.finishEmbeddingOnly());
            }
        }
        return new Step(finished, current, failed, stillFailing);
    }

    /** Why a document that ended with no scored token gets no output. */
    public static final String UNSCORED = "no token of the document could be scored: it is one token long, at the "
            + "start of its stream's restarted context";

    private static DocumentAccumulator start(DocumentAccumulator current, DocSpan span, Pooling pooling,
            int embedDim, long chunkFirstPosition) {
        if (current != null) {
            throw new IllegalStateException("document '" + current.docId() + "' is still open with "
                    + current.rowCount() + " of " + current.tokenCount() + " tokens, but the chunk at position "
                    + chunkFirstPosition + " starts document '" + span.docId() + "': chunks were lost or reordered");
        }
        return new DocumentAccumulator(span.docId(), span.docFirstPosition(), span.docTokenCount(),
                span.docByteCount(), pooling, embedDim);
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

    /**
     * The documents of a chunk the heads could not take ({@link #accept} threw): the open document (the chunk
     * continues it, or chunks were lost), and every document with a span in the chunk that had not already failed.
     *
     * @param live the chunk after {@link #skipFailing}: a document that failed earlier stays failing when the
     *     chunk lies wholly inside it (it has no span left here), so its tail is skipped and not failed again
     */
    public static Failure fail(DocumentAccumulator open, Skipped live, String reason) {
        List<FailedDocument> failed = new ArrayList<>();
        if (open != null) {
            failed.add(new FailedDocument(open.docId(), open.firstPosition(), open.tokenCount(), reason));
        }
        Long stillFailing = live.stillFailing();
        for (DocSpan span : live.spans()) {
            boolean continuesOpen = open != null && !span.docStartsHere()
                    && span.docFirstPosition() == open.firstPosition();
            if (!continuesOpen) {
                failed.add(new FailedDocument(span.docId(), span.docFirstPosition(), span.docTokenCount(), reason));
            }
            stillFailing = span.docEndsHere() ? null : span.docFirstPosition();
        }
        return new Failure(failed, stillFailing);
    }

    /**
     * @param spans        the chunk's spans less those of the document that had failed
     * @param stillFailing that document's first position if it goes on past this chunk, else null
     */
    public record Skipped(List<DocSpan> spans, Long stillFailing) {
    }

    /**
     * Drops the spans of the document that failed in an earlier chunk ({@code failing}: its first position, or
     * null): they were dead-lettered with it. Its last span ends its failure.
     */
    public static Skipped skipFailing(Long failing, List<DocSpan> spans) {
        if (failing == null) {
            return new Skipped(spans, null);
        }
        List<DocSpan> rest = new ArrayList<>();
        Long stillFailing = failing;
        for (DocSpan span : spans) {
            if (!span.docStartsHere() && span.docFirstPosition() == failing) {
                stillFailing = span.docEndsHere() ? null : failing;
            } else {
                rest.add(span);
            }
        }
        return new Skipped(rest, stillFailing);
    }
}
