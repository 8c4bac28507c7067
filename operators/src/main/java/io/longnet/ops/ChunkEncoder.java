package io.longnet.ops;

import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.DecoderState;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.heads.LogitsScorer;
import io.longnet.kafka.TopToken;
import io.longnet.state.KvPersistence;
import io.longnet.state.KvStore;
import io.longnet.state.StreamMeta;
import io.longnet.text.Chunk;
import io.longnet.text.CorpusTokenizer;
import io.longnet.text.DocSpan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Encodes one stream's chunks with the decoder, and scores them: plain Java, no Flink. One instance is shared
 * by all streams of an operator; each stream's state is an {@link EncoderStream}.
 *
 * <p>Notation: n = chunk tokens, E = embedDim, V = vocab_size, s = 1 when the stream has a previous
 * row, else 0 (only at position 0), m = n + s. The logits rows are {@code [previous last row; rows 0..n-1]},
 * {@code [m, V]}: logits row r predicts chunk token {@code r + 1 - s}, so every token is scored, the chunk's
 * first one by the previous chunk's last row. The logits stay in ND4J ({@link LogitsScorer}); only the
 * rows where a document ends are copied, for top-k.
 */
public final class ChunkEncoder {

    private final LongNetDecoder decoder;
    private final CorpusTokenizer tokenizer;
    private final String modelFingerprint;
    private final int topK;
    private final boolean predictions;
    private final int embedDim;
    private final KvPersistence persistence;

    /**
     * @param topK next tokens listed per finished document, in [0, vocab_size]; 0 lists none
     * @param predictions whether to compute logits at all (NLL and top-k); false gives features only
     */
    public ChunkEncoder(LongNetDecoder decoder, String modelFingerprint, int topK, boolean predictions) {
        int vocab = decoder.config().vocabSize();
        if (topK < 0 || topK > vocab) {
            throw new IllegalArgumentException("top-k must be in [0, " + vocab + "] (the model's vocab_size), got "
                    + topK);
        }
        this.decoder = decoder;
        this.tokenizer = CorpusTokenizer.cl100k();
        this.modelFingerprint = modelFingerprint;
        this.topK = topK;
        this.predictions = predictions;
        this.embedDim = decoder.config().embedDim();
        this.persistence = new KvPersistence(decoder.config());
    }

    public int embedDim() {
        return embedDim;
    }

    /** Dilated-attention branches of the model: one k/v map each in durable state. */
    public int branches() {
        return decoder.config().schedule().size();
    }

    public String modelFingerprint() {
        return modelFingerprint;
    }

    /** A stream at position 0. */
    public EncoderStream newStream() {
        return new EncoderStream(new StreamingDecoder(decoder), null, KvPersistence.NEVER_WRITTEN);
    }

    /** What {@link #persist} wrote to the k/v store, and the meta the caller stores beside it. */
    public record Persisted(StreamMeta meta, long kvBytes) {
    }

    /** Writes what the stream keeps that {@code store} does not yet hold: only rows added since the last write. */
    public Persisted persist(EncoderStream stream, KvStore store) throws Exception {
        DecoderState state = stream.decoder().state();
        long bytes = persistence.write(state, stream.writtenAt(), store);
        stream.markWritten();
        return new Persisted(new StreamMeta(modelFingerprint, state.contextStart(), state.position(),
                stream.lastFeaturesRef()), bytes);
    }

    /**
     * The stream written by {@link #persist}, rebuilt from its meta and k/v pieces. When another model wrote
     * them: fails naming both fingerprints, or, with {@link ModelChange#RESTART_STREAMS}, restarts the stream's
     * context at its position.
     */
    public EncoderStream restore(String stream, StreamMeta meta, KvStore store, ModelChange onModelChange)
            throws Exception {
        if (!meta.modelFingerprint().equals(modelFingerprint)) {
            if (onModelChange == ModelChange.RESTART_STREAMS) {
                return restartAt(meta.position());
            }
            throw new IllegalStateException("stream '" + stream + "' was encoded by model " + meta.modelFingerprint()
                    + ", but this encoder runs model " + modelFingerprint);
        }
        if (meta.lastFeatures() != null && meta.lastFeatures().length != embedDim) {
            throw new IllegalStateException("stream '" + stream + "' stored a last feature row of "
                    + meta.lastFeatures().length + " values, but the model's embed dim is " + embedDim);
        }
        StreamingDecoder restored = new StreamingDecoder(decoder);
        persistence.read(restored.state(), meta.contextStart(), meta.position(), store);
        return new EncoderStream(restored, meta.lastFeatures(), meta.position());
    }

    /** Runs the chunk through the stream's decoder and advances it; the chunk must start where the stream is. */
    public EncodedChunk encode(String stream, EncoderStream state, Chunk chunk) {
        if (chunk.firstPosition() != state.position()) {
            throw new StreamStateLost("stream '" + stream + "' got a chunk at position " + chunk.firstPosition()
                    + " but its encoder state is at position " + state.position() + ": the encoder's state was lost "
                    + "or does not belong to this checkpoint (the tokenizer's and the encoder's state must come from "
                    + "one checkpoint)");
        }
        int n = chunk.length();
        float[] previousRow = state.lastFeaturesRef(); // [E] or null
        DecoderOutput out = state.decoder().accept(chunk.tokens(), false);
        float[] features = out.featuresRowMajor(); // [n, E]
        requireFinite(stream, chunk, features);
        double[] nll = null;
        List<DocTopNext> topNext = List.of();
        if (predictions) {
            LogitsScorer.Scores scores = score(previousRow, out.features(), chunk);
            nll = chunkNll(scores.nll(), n, previousRow == null ? 0 : 1);
            topNext = topNext(scores, chunk, previousRow == null ? 0 : 1);
        }
        state.setLastFeatures(Arrays.copyOfRange(features, (n - 1) * embedDim, n * embedDim));
        return new EncodedChunk(stream, chunk.firstPosition(), n, embedDim, features, nll, chunk.spans(), topNext,
                modelFingerprint);
    }

    private void requireFinite(String stream, Chunk chunk, float[] features) {
        for (int i = 0; i < features.length; i++) {
            if (!Float.isFinite(features[i])) {
                throw new IllegalArgumentException("stream '" + stream + "': the model's features are " + features[i]
                        + " at position " + (chunk.firstPosition() + i / embedDim) + ", in the chunk of positions ["
                        + chunk.firstPosition() + ", " + (chunk.firstPosition() + chunk.length()) + ")");
            }
        }
    }

    /**
     * The stream after a chunk that could not be encoded (the decoder or the scorer threw): its context
     * restarts at the chunk's end, so the chunk's rows, which may be non-finite or half appended, are never
     * seen, and the stream's later chunks are encoded as if its context began there. Deterministic: a replay
     * after a failure gives the same outputs.
     */
    public EncoderStream restartAfter(Chunk chunk) {
        return restartAt(chunk.firstPosition() + chunk.length());
    }

    /** A stream at {@code position} whose context starts there; its stored rows are dropped at its next write. */
    EncoderStream restartAt(long position) {
        StreamingDecoder restarted = new StreamingDecoder(decoder);
        restarted.state().restorePosition(position, position);
        return new EncoderStream(restarted, null, KvPersistence.STALE);
    }

    private LogitsScorer.Scores score(float[] previousRow, INDArray features, Chunk chunk) {
        int s = previousRow == null ? 0 : 1;
        INDArray rows = s == 0 ? features // [m, E]
                : Nd4j.vstack(Nd4j.create(previousRow, new long[] {1, embedDim}, 'c'), features);
        decoder.reserveLogits(chunk.length() + 1); // one buffer for chunks with and without the previous row
        INDArray logits = decoder.logits(rows); // [m, V], consumed by the scorer
        int[] tokens = chunk.tokens(); // [n]
        int[] next = new int[chunk.length() + s]; // [m]
        for (int r = 0; r < next.length; r++) {
            int i = r + 1 - s;
            next[r] = i < tokens.length ? tokens[i] : LogitsScorer.NO_TARGET;
        }
        return LogitsScorer.score(logits, next, topKRows(chunk, s), topK);
    }

    /** Logits rows of the last tokens of the documents that end in this chunk. */
    private int[] topKRows(Chunk chunk, int s) {
        if (topK == 0) {
            return new int[0];
        }
        return chunk.spans().stream().filter(DocSpan::docEndsHere)
                .mapToInt(span -> span.offsetInChunk() + span.countInChunk() - 1 + s).toArray();
    }

    /** nll[i] of chunk token i comes from logits row i - 1 + s; NaN for stream position 0. */
    private static double[] chunkNll(double[] rowNll, int n, int s) {
        double[] nll = new double[n]; // [n]
        for (int i = 0; i < n; i++) {
            nll[i] = i - 1 + s < 0 ? Double.NaN : rowNll[i - 1 + s];
        }
        return nll;
    }

    private List<DocTopNext> topNext(LogitsScorer.Scores scores, Chunk chunk, int s) {
        List<DocTopNext> topNext = new ArrayList<>();
        if (topK == 0) {
            return topNext;
        }
        for (DocSpan span : chunk.spans()) {
            if (span.docEndsHere()) {
                io.longnet.heads.TopToken[] top = scores.topK().get(span.offsetInChunk() + span.countInChunk() - 1 + s);
                List<TopToken> named = new ArrayList<>(top.length);
                for (io.longnet.heads.TopToken t : top) {
                    named.add(new TopToken(t.tokenId(), tokenizer.decode(t.tokenId()), t.probability()));
                }
                topNext.add(new DocTopNext(span.docFirstPosition(), named));
            }
        }
        return topNext;
    }
}
