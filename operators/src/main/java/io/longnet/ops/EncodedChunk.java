package io.longnet.ops;

import io.longnet.kafka.TopToken;
import io.longnet.text.DocSpan;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Objects;

/**
 * What the encoder made of one chunk: what the document heads need, and nothing of size V.
 *
 * <p>Notation: n = tokenCount, E = embedDim. Row i is stream position {@code firstPosition + i}.
 *
 * @param stream the stream key
 * @param firstPosition stream position of row 0
 * @param tokenCount n, at least 1
 * @param embedDim E, at least 1
 * @param features {@code [n, E]} row-major decoder features (after the final LayerNorm); not copied
 * @param nll {@code [n]}: -ln p(token i | everything before it in the stream); NaN only for stream
 *     position 0, which nothing precedes; null when predictions are off; not copied
 * @param spans the document pieces in this chunk, in stream order
 * @param topNext for each document whose last token is in this chunk, in stream order: its likeliest
 *     next tokens; empty when predictions are off or top-k is 0
 * @param modelFingerprint the model that produced it
 * @param failures the documents with a span here that the encoder could not encode, in stream order: their
 *     rows hold 0 features and NaN NLL and no top-k list; every other document's rows are as in a healthy run
 *     (see {@link ChunkEncoder#encode})
 */
public record EncodedChunk(
        String stream,
        long firstPosition,
        int tokenCount,
        int embedDim,
        float[] features,
        double[] nll,
        List<DocSpan> spans,
        List<DocTopNext> topNext,
        String modelFingerprint,
        List<DocFailure> failures) {

    public EncodedChunk {
        if (tokenCount < 1 || embedDim < 1 || features == null || features.length != (long) tokenCount * embedDim) {
            throw new IllegalArgumentException("encoded chunk of stream '" + stream + "' at position " + firstPosition
                    + " has tokenCount " + tokenCount + ", embedDim " + embedDim + " and "
                    + (features == null ? "no" : features.length) + " feature values, expected tokenCount * embedDim");
        }
        if (nll != null && nll.length != tokenCount) {
            throw new IllegalArgumentException("encoded chunk of stream '" + stream + "' at position " + firstPosition
                    + " has " + nll.length + " nll values for " + tokenCount + " tokens");
        }
        spans = List.copyOf(spans);
        topNext = List.copyOf(topNext);
        failures = List.copyOf(failures);
        for (DocFailure f : failures) {
            if (spans.stream().noneMatch(s -> s.docFirstPosition() == f.docFirstPosition())) {
                throw new IllegalArgumentException("encoded chunk of stream '" + stream + "' at position "
                        + firstPosition + " fails the document at position " + f.docFirstPosition()
                        + ", which has no span in it");
            }
        }
    }

    /** An encoded chunk in which every document was encoded. */
    public EncodedChunk(String stream, long firstPosition, int tokenCount, int embedDim, float[] features,
            double[] nll, List<DocSpan> spans, List<DocTopNext> topNext, String modelFingerprint) {
        this(stream, firstPosition, tokenCount, embedDim, features, nll, spans, topNext, modelFingerprint, List.of());
    }

    /** Why the document starting at {@code docFirstPosition} failed in this chunk, or null when it did not. */
    public String failureOf(long docFirstPosition) {
        for (DocFailure f : failures) {
            if (f.docFirstPosition() == docFirstPosition) {
                return f.reason();
            }
        }
        return null;
    }

    /** The top-k list of the document starting at {@code docFirstPosition} that ends in this chunk, if any. */
    public Optional<List<TopToken>> topNextOf(long docFirstPosition) {
        return topNext.stream().filter(t -> t.docFirstPosition() == docFirstPosition).findFirst()
                .map(DocTopNext::tokens);
    }

    /**
     * The source timestamp of the document starting at {@code docFirstPosition} that ends in this chunk, or
     * {@link DocSpan#NO_TIMESTAMP}.
     */
    public long sourceTimestampOf(long docFirstPosition) {
        return spans.stream().filter(s -> s.docEndsHere() && s.docFirstPosition() == docFirstPosition).findFirst()
                .map(DocSpan::sourceTimestamp).orElse(DocSpan.NO_TIMESTAMP);
    }

    /** Position one past the last row. */
    public long endPosition() {
        return firstPosition + tokenCount;
    }

    // Records compare arrays by reference; an encoded chunk is a value, so compare the contents.
    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedChunk other
                && stream.equals(other.stream)
                && firstPosition == other.firstPosition
                && tokenCount == other.tokenCount
                && embedDim == other.embedDim
                && Arrays.equals(features, other.features)
                && Arrays.equals(nll, other.nll)
                && spans.equals(other.spans)
                && topNext.equals(other.topNext)
                && Objects.equals(modelFingerprint, other.modelFingerprint)
                && failures.equals(other.failures);
    }

    @Override
    public int hashCode() {
        return Objects.hash(stream, firstPosition, tokenCount, Arrays.hashCode(features), Arrays.hashCode(nll),
                spans, topNext, modelFingerprint, failures);
    }

    @Override
    public String toString() {
        return "EncodedChunk[stream=" + stream + ", firstPosition=" + firstPosition + ", tokenCount=" + tokenCount
                + ", embedDim=" + embedDim + ", nll=" + (nll == null ? "off" : "on") + ", spans=" + spans
                + ", topNext=" + topNext.size() + " lists" + ", failures=" + failures + ", model=" + modelFingerprint + "]";
    }
}
