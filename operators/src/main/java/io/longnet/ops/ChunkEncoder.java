package io.longnet.ops;

import io.longnet.attention.Arrays2;
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
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private static final Logger LOG = LoggerFactory.getLogger(ChunkEncoder.class);

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
     * @param tokenizer the model's tokenizer, which names the top-k tokens
     */
    public ChunkEncoder(LongNetDecoder decoder, String modelFingerprint, int topK, boolean predictions,
            CorpusTokenizer tokenizer) {
        int vocab = decoder.config().vocabSize();
        if (topK < 0 || topK > vocab) {
            throw new IllegalArgumentException("top-k must be in [0, " + vocab + "] (the model's vocab_size), got "
                    + topK);
        }
        this.decoder = decoder;
        this.tokenizer = tokenizer;
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

    /** Bytes of new kept k/v rows one token adds, all layers and branches: what a write carries per token. */
    public double newRowBytesPerToken() {
        return persistence.newRowBytesPerToken();
    }

    /** A stream at position 0. */
    public EncoderStream newStream() {
        return new EncoderStream(new StreamingDecoder(decoder), null, KvPersistence.NEVER_WRITTEN);
    }

    /** Lengths of the warm-up's chunks, in turn: what a steady trickle of documents makes, and a larger one. */
    private static final int[] WARM_UP_CHUNK_TOKENS = {12, 40, 96};
    /** Most streams in one warm-up forward. */
    private static final int WARM_UP_STREAMS = 3;
    private static final String WARM_UP_TEXT = "/** Returns the index of the first element equal to the key, or -1. */\n"
            + "public static int indexOf(int[] values, int key) {\n    for (int i = 0; i < values.length; i++) {\n"
            + "        if (values[i] == key) {\n            return i;\n        }\n    }\n    return -1;\n}\n";

    /**
     * Encodes made-up documents of throwaway streams, one stream's chunk alone and two or three in one forward, at
     * a few chunk lengths, until {@code forwards} forwards ran or {@code budgetMillis} passed: the JIT compiles the
     * encode path (the batched forward, the heads' scores and top-k) before the first real chunk waits for it.
     * Until its optimising compiler has intrinsified the Vector API calls they run tens of times slower, so
     * without this a job's first seconds of outputs came out seconds late. Nothing of it is kept. The forwards
     * stay within {@code batching} as the job's own do (chunks of at most its chunk-size, batches that fit in it,
     * one stream per forward where it does not batch), so the logits buffer never grows past what the job checked.
     *
     * @return the forwards run; 0 where a chunk-size below 2 leaves no room for a separator and a document
     */
    public int warmUp(int forwards, long budgetMillis, EncoderBatching batching) {
        if (batching.maxTokens() < 2) {
            return 0;
        }
        int[] text = tokenizer.encode(WARM_UP_TEXT);
        EncoderStream[] streams = new EncoderStream[WARM_UP_STREAMS];
        Arrays.setAll(streams, i -> newStream());
        long deadline = System.nanoTime() + budgetMillis * 1_000_000;
        int run = 0;
        while (run < forwards && System.nanoTime() < deadline) {
            int tokens = Math.min(batching.maxTokens(),
                    WARM_UP_CHUNK_TOKENS[(run / WARM_UP_STREAMS) % WARM_UP_CHUNK_TOKENS.length]);
            int wanted = batching.waitMillis() == 0 ? 1 : 1 + run % WARM_UP_STREAMS;
            List<Input> inputs = new ArrayList<>();
            long rows = 0;
            for (int i = 0; i < wanted && batching.fits(rows, tokens); i++) {
                rows += logitsRows(tokens);
                String stream = "warm-up-" + i;
                inputs.add(new Input(stream, streams[i], warmUpDocument(stream + "-" + run, text,
                        streams[i].position(), tokens)));
            }
            List<Encoded> encoded = encode(inputs); // in the inputs' order: streams 0..
            for (int i = 0; i < encoded.size(); i++) {
                streams[i] = encoded.get(i).stream();
            }
            run++;
        }
        return run;
    }

    /** A chunk at {@code position} of {@code tokens} tokens: the separator, then one whole document of text. */
    private Chunk warmUpDocument(String docId, int[] text, long position, int tokens) {
        int[] ids = new int[tokens]; // [tokens]
        ids[0] = tokenizer.separatorId();
        for (int i = 1; i < tokens; i++) {
            ids[i] = text[(i - 1) % text.length];
        }
        return new Chunk(position, ids, List.of(new DocSpan(docId, position + 1, tokens - 1,
                DocSpan.UNKNOWN_BYTE_COUNT, 1, tokens - 1, true, true)));
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

    /** What {@link #encode} made of a chunk, and the stream to keep: a new one when its context restarted. */
    public record Encoded(EncodedChunk chunk, EncoderStream stream) {
    }

    /**
     * Runs the chunk through the stream's decoder and advances it. The chunk must start where the stream is, or
     * inside the document whose failure the stream skips ({@link StreamStateLost} otherwise: state was lost).
     *
     * <p>Failures are isolated to the document that causes them, whatever the chunk boundaries. When the chunk
     * fails (the decoder or the scorer throws, or a feature is not finite), the stream is rolled back to the
     * chunk's start and the chunk is encoded again document by document (each with the separator before it):
     * the documents that fail alone go to the dead letters, and after each the context restarts at its end, so
     * the documents after it are encoded as a stream whose context starts there. Which documents fail and what
     * the others get then depend on the input alone, not on where a flush timer cut the chunks. A chunk that
     * ends inside a failed document leaves the stream at that document's end: the next chunk's rows up to there
     * are skipped.
     */
    public Encoded encode(String stream, EncoderStream state, Chunk chunk) {
        Output out = new Output(chunk.length());
        long from = resumeAt(stream, state, chunk);
        EncoderStream current = state;
        if (from < chunk.endPosition()) {
            Chunk rest = suffix(chunk, from);
            int offset = (int) (from - chunk.firstPosition());
            StreamingDecoder.Mark mark = state.decoder().mark(rest.length());
            try {
                encodeInto(stream, state, rest, offset, out);
            } catch (RuntimeException e) {
                LOG.info("Stream '{}': positions [{}, {}) failed ({}); encoding them again document by document to "
                        + "find the failing ones", stream, rest.firstPosition(), rest.endPosition(), e.getMessage());
                state.decoder().rollBack(mark);
                current = encodeByDocument(stream, state, rest, offset, out);
            }
        }
        return encoded(stream, chunk, out, current);
    }

    private Encoded encoded(String stream, Chunk chunk, Output out, EncoderStream current) {
        return new Encoded(new EncodedChunk(stream, chunk.firstPosition(), chunk.length(), embedDim, out.features,
                out.nll, chunk.spans(), out.topNext, modelFingerprint, out.failures), current);
    }

    /** One stream's chunk for {@link #encode(List)}. */
    public record Input(String stream, EncoderStream state, Chunk chunk) {
    }

    /**
     * Encodes the chunks of several streams in one pass of the decoder ({@link LongNetDecoder#forward(List)}: rows
     * stacked for the projections and the FFN, attention per stream) and scores them with one output projection;
     * each stream gets what {@link #encode(String, EncoderStream, Chunk)} gives it alone, up to the gemms'
     * summation order. When anything in the pass fails, every stream is rolled back to its chunk's start and
     * encoded alone, so failures are isolated exactly as there.
     *
     * @param inputs at most one chunk per stream, their tokens in all at most the model's maxChunkTokens; with
     *     predictions the logits buffer takes the sum of their {@link #logitsRows}
     * @return the inputs' results, in their order
     */
    public List<Encoded> encode(List<Input> inputs) {
        requireDistinctStreams(inputs);
        if (inputs.size() == 1) {
            Input only = inputs.get(0);
            return List.of(encode(only.stream(), only.state(), only.chunk()));
        }
        List<Output> outs = new ArrayList<>(inputs.size());
        List<Pass> passes = new ArrayList<>(inputs.size());
        List<StreamingDecoder.Mark> marks = new ArrayList<>(inputs.size());
        for (Input in : inputs) {
            Output out = new Output(in.chunk().length());
            outs.add(out);
            long from = resumeAt(in.stream(), in.state(), in.chunk());
            if (from < in.chunk().endPosition()) {
                Chunk rest = suffix(in.chunk(), from);
                marks.add(in.state().decoder().mark(rest.length()));
                passes.add(new Pass(in.stream(), in.state(), rest, (int) (from - in.chunk().firstPosition()), out));
            }
        }
        try {
            if (!passes.isEmpty()) {
                run(passes);
            }
        } catch (RuntimeException e) {
            LOG.info("A batch of {} streams' chunks failed ({}); encoding each stream's chunk alone", passes.size(),
                    e.getMessage());
            for (int i = 0; i < passes.size(); i++) {
                passes.get(i).state().decoder().rollBack(marks.get(i));
            }
            List<Encoded> alone = new ArrayList<>(inputs.size());
            for (Input in : inputs) {
                alone.add(encode(in.stream(), in.state(), in.chunk()));
            }
            return alone;
        }
        List<Encoded> encoded = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            encoded.add(encoded(in.stream(), in.chunk(), outs.get(i), in.state()));
        }
        return encoded;
    }

    private static void requireDistinctStreams(List<Input> inputs) {
        Set<EncoderStream> states = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> names = new HashSet<>();
        for (Input in : inputs) {
            if (!states.add(in.state()) || !names.add(in.stream())) {
                throw new IllegalArgumentException("a batch holds at most one chunk per stream, got two of stream '"
                        + in.stream() + "'");
            }
        }
    }

    /** What the document heads get of a chunk, filled part by part; rows of failed or skipped documents stay 0. */
    private final class Output {
        final float[] features;                       // [n, E]
        final double[] nll;                           // [n], NaN where nothing scored; null without predictions
        final List<DocTopNext> topNext = new ArrayList<>();
        final List<DocFailure> failures = new ArrayList<>();

        Output(int n) {
            features = new float[n * embedDim];
            nll = predictions ? new double[n] : null;
            if (nll != null) {
                Arrays.fill(nll, Double.NaN);
            }
        }
    }

    /**
     * Encodes {@code rest} one document at a time: each part ends with a document's span (and starts with the
     * separator before it), a last part holds rows after the last span. A part that fails fails its document
     * alone, and the context restarts at that document's end.
     */
    private EncoderStream encodeByDocument(String stream, EncoderStream state, Chunk rest, int offset, Output out) {
        EncoderStream current = state;
        for (Chunk part : parts(rest)) {
            int partOffset = offset + (int) (part.firstPosition() - rest.firstPosition());
            try {
                encodeInto(stream, current, part, partOffset, out);
            } catch (RuntimeException e) {
                DocSpan doc = part.spans().isEmpty() ? null : part.spans().get(part.spans().size() - 1);
                long restart = doc == null ? part.endPosition() : doc.docFirstPosition() + doc.docTokenCount();
                if (doc != null) {
                    out.failures.add(new DocFailure(doc.docFirstPosition(), "encoder: " + e.getMessage()));
                }
                LOG.warn("Stream '{}': {} at positions [{}, {}) could not be encoded; the context restarts at {}",
                        stream, doc == null ? "the separator" : "document '" + doc.docId() + "'",
                        part.firstPosition(), part.endPosition(), restart, e);
                current = restartAt(restart);
            }
        }
        return current;
    }

    /** Runs {@code part} on {@code state} and writes its outputs at row {@code offset}; throws when it fails. */
    private void encodeInto(String stream, EncoderStream state, Chunk part, int offset, Output out) {
        run(List.of(new Pass(stream, state, part, offset, out)));
    }

    /**
     * One stream's rows in a pass of the decoder: {@code part} runs on {@code state}, and its outputs go to
     * {@code out} from row {@code offset}.
     */
    private record Pass(String stream, EncoderStream state, Chunk part, int offset, Output out) {
    }

    /**
     * Runs the passes' parts in one forward and scores them in one output projection; throws when anything fails,
     * before any output is written or any stream's last feature row changes (their decoders have advanced: the
     * caller rolls them back).
     */
    private void run(List<Pass> passes) {
        List<LongNetDecoder.Part> parts = new ArrayList<>(passes.size());
        for (Pass pass : passes) {
            parts.add(new LongNetDecoder.Part(pass.part().tokens(), pass.state().decoder().state()));
        }
        List<INDArray> decoded = decoder.forward(parts); // each [n, E]
        List<float[]> features = new ArrayList<>(passes.size()); // each [n * E]
        for (int i = 0; i < passes.size(); i++) {
            float[] rows = Arrays2.rowMajor(decoded.get(i));
            requireFinite(passes.get(i).stream(), passes.get(i).part(), rows);
            features.add(rows);
        }
        List<Scored> scored = predictions ? score(passes, features) : null;
        for (int i = 0; i < passes.size(); i++) {
            Pass pass = passes.get(i);
            int n = pass.part().length();
            if (scored != null) {
                System.arraycopy(scored.get(i).nll(), 0, pass.out().nll, pass.offset(), n);
                pass.out().topNext.addAll(scored.get(i).topNext());
            }
            float[] rows = features.get(i);
            System.arraycopy(rows, 0, pass.out().features, pass.offset() * embedDim, n * embedDim);
            pass.state().setLastFeatures(Arrays.copyOfRange(rows, (n - 1) * embedDim, n * embedDim));
        }
    }

    /** A pass's scores: NLL of its part's tokens [n], and the top next tokens of the documents ending in it. */
    private record Scored(double[] nll, List<DocTopNext> topNext) {
    }

    /**
     * Scores every pass with one output projection over the stacked logits rows: per pass {@code [previous last
     * row; rows 0..n-1]} (s = 1) or {@code rows 0..n-1} (s = 0, at position 0), M rows in all.
     */
    private List<Scored> score(List<Pass> passes, List<float[]> features) {
        int[] base = new int[passes.size()]; // first logits row of each pass
        int rowCount = 0;
        long reserved = 0; // rows with and without a previous row share one buffer: n + 1 per pass
        for (int i = 0; i < passes.size(); i++) {
            base[i] = rowCount;
            rowCount += passes.get(i).part().length() + (passes.get(i).state().lastFeaturesRef() == null ? 0 : 1);
            reserved += logitsRows(passes.get(i).part().length());
        }
        float[] rows = new float[rowCount * embedDim]; // [M, E]
        int[] next = new int[rowCount];                // [M]
        List<Integer> topKRows = new ArrayList<>();
        for (int i = 0; i < passes.size(); i++) {
            Chunk part = passes.get(i).part();
            float[] previousRow = passes.get(i).state().lastFeaturesRef(); // [E] or null
            int s = previousRow == null ? 0 : 1;
            if (s == 1) {
                System.arraycopy(previousRow, 0, rows, base[i] * embedDim, embedDim);
            }
            System.arraycopy(features.get(i), 0, rows, (base[i] + s) * embedDim, part.length() * embedDim);
            int[] tokens = part.tokens(); // [n]
            for (int r = 0; r < part.length() + s; r++) {
                int t = r + 1 - s;
                next[base[i] + r] = t < tokens.length ? tokens[t] : LogitsScorer.NO_TARGET;
            }
            for (int r : topKRows(part, s)) {
                topKRows.add(base[i] + r);
            }
        }
        decoder.reserveLogits(Math.toIntExact(reserved));
        INDArray logits = decoder.logits(Arrays2.matrix(rows, rowCount, embedDim)); // [M, V], consumed below
        LogitsScorer.Scores scores = LogitsScorer.score(logits, next,
                topKRows.stream().mapToInt(Integer::intValue).toArray(), topK);
        List<Scored> scored = new ArrayList<>(passes.size());
        for (int i = 0; i < passes.size(); i++) {
            Chunk part = passes.get(i).part();
            int s = passes.get(i).state().lastFeaturesRef() == null ? 0 : 1;
            scored.add(new Scored(chunkNll(scores.nll(), base[i], part.length(), s),
                    topNext(scores, part, base[i], s)));
        }
        return scored;
    }

    private void requireFinite(String stream, Chunk chunk, float[] features) {
        for (int i = 0; i < features.length; i++) {
            if (!Float.isFinite(features[i])) {
                throw new IllegalArgumentException("stream '" + stream + "': the model's features are " + features[i]
                        + " at position " + (chunk.firstPosition() + i / embedDim) + ", in the chunk of positions ["
                        + chunk.firstPosition() + ", " + chunk.endPosition() + ")");
            }
        }
    }

    /**
     * Where the stream's next row is in {@code chunk}: its first row, or, when the stream skips the rest of a
     * failed document (its context starts at that document's end, past the chunk's start), that end.
     */
    private static long resumeAt(String stream, EncoderStream state, Chunk chunk) {
        long position = state.position();
        if (position == chunk.firstPosition()) {
            return position;
        }
        DocSpan first = chunk.spans().isEmpty() ? null : chunk.spans().get(0);
        boolean skipsFailedDocument = position > chunk.firstPosition()
                && state.decoder().state().contextStart() == position && first != null
                && first.offsetInChunk() == 0 && !first.docStartsHere()
                && first.docFirstPosition() + first.docTokenCount() == position;
        if (skipsFailedDocument) {
            return Math.min(position, chunk.endPosition());
        }
        throw new StreamStateLost("stream '" + stream + "' got a chunk at position " + chunk.firstPosition()
                + " but its encoder state is at position " + position + ": the encoder's state was lost "
                + "or does not belong to this checkpoint (the tokenizer's and the encoder's state must come from "
                + "one checkpoint)");
    }

    /** The rows of {@code chunk} from stream position {@code from} on; {@code from} never cuts a document's span. */
    private static Chunk suffix(Chunk chunk, long from) {
        return from == chunk.firstPosition() ? chunk
                : slice(chunk, (int) (from - chunk.firstPosition()), chunk.length());
    }

    /** {@code chunk} cut after each document's span; a last part holds the rows after the last span. */
    private static List<Chunk> parts(Chunk chunk) {
        List<Chunk> parts = new ArrayList<>();
        int from = 0;
        for (DocSpan span : chunk.spans()) {
            int to = span.offsetInChunk() + span.countInChunk();
            parts.add(slice(chunk, from, to));
            from = to;
        }
        if (from < chunk.length()) {
            parts.add(slice(chunk, from, chunk.length()));
        }
        return parts;
    }

    /** Rows [from, to) of {@code chunk}, with the spans inside them; no span may be cut. */
    private static Chunk slice(Chunk chunk, int from, int to) {
        List<DocSpan> spans = new ArrayList<>();
        for (DocSpan span : chunk.spans()) {
            requireUncut(span, from);
            requireUncut(span, to);
            if (span.offsetInChunk() >= from && span.offsetInChunk() < to) {
                spans.add(new DocSpan(span.docId(), span.docFirstPosition(), span.docTokenCount(),
                        span.docByteCount(), span.offsetInChunk() - from, span.countInChunk(), span.docStartsHere(),
                        span.docEndsHere()));
            }
        }
        return new Chunk(chunk.firstPosition() + from, Arrays.copyOfRange(chunk.tokens(), from, to), spans);
    }

    private static void requireUncut(DocSpan span, int cut) {
        if (span.offsetInChunk() < cut && span.offsetInChunk() + span.countInChunk() > cut) {
            throw new IllegalStateException("row " + cut + " cuts the span of document '" + span.docId() + "'");
        }
    }

    /** A stream at {@code position} whose context starts there; its stored rows are dropped at its next write. */
    EncoderStream restartAt(long position) {
        StreamingDecoder restarted = new StreamingDecoder(decoder);
        restarted.state().restorePosition(position, position);
        return new EncoderStream(restarted, null, KvPersistence.STALE);
    }

    /**
     * The logits rows the encoder reserves for a chunk of {@code chunkTokens} tokens: one more, for the previous
     * chunk's last row, so that chunks with and without it share one buffer ({@link LogitsBuffer}); a batch of
     * chunks reserves the sum of theirs.
     */
    public static long logitsRows(int chunkTokens) {
        return chunkTokens + 1L;
    }

    /** Logits rows of the last tokens of the documents that end in this chunk. */
    private int[] topKRows(Chunk chunk, int s) {
        if (topK == 0) {
            return new int[0];
        }
        return chunk.spans().stream().filter(DocSpan::docEndsHere)
                .mapToInt(span -> span.offsetInChunk() + span.countInChunk() - 1 + s).toArray();
    }

    /** nll[i] of chunk token i comes from logits row base + i - 1 + s; NaN for stream position 0. */
    private static double[] chunkNll(double[] rowNll, int base, int n, int s) {
        double[] nll = new double[n]; // [n]
        for (int i = 0; i < n; i++) {
            nll[i] = i - 1 + s < 0 ? Double.NaN : rowNll[base + i - 1 + s];
        }
        return nll;
    }

    /** The top next tokens of the documents ending in {@code chunk}, whose logits rows start at {@code base}. */
    private List<DocTopNext> topNext(LogitsScorer.Scores scores, Chunk chunk, int base, int s) {
        List<DocTopNext> topNext = new ArrayList<>();
        if (topK == 0) {
            return topNext;
        }
        for (DocSpan span : chunk.spans()) {
            if (span.docEndsHere()) {
                io.longnet.heads.TopToken[] top = scores.topK().get(base + span.offsetInChunk() + span.countInChunk()
                        - 1 + s);
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
