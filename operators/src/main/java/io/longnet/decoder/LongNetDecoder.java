package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import io.longnet.attention.AttentionState;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelWeights;
import io.longnet.model.WeightLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * torchscale's LongNetDecoder on ND4J (spec section 4), stateless and thread-confined per stream via
 * {@link DecoderState}: {@code forward} of a chunk at the state's position gives that chunk's features and
 * logits and advances the state. One chunk holding the whole sequence is the full forward pass.
 * Notation: n tokens, E width, V vocabulary.
 */
public final class LongNetDecoder {

    static {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        // ND4J calls System.gc() periodically by default, which costs more than the arithmetic here;
        // intermediates live in a workspace, and state buffers are few and long-lived.
        Nd4j.getMemoryManager().togglePeriodicGc(false);
    }

    private final ModelConfig config;
    private final float[] embedTokens;       // [V, E] row-major
    private final INDArray outputWeightT;    // [E, V]
    private final LayerNorm embeddingNorm;   // layernorm_embedding only
    private final LayerNorm finalNorm;       // pre-LN only
    private final DecoderLayer[] layers;
    private INDArray logitsBuffer; // flat [rows * V], grown on demand; a 100 MB allocation per chunk is slow

    // Two workspaces, reused from chunk to chunk: fresh native allocations (page faults, zeroing) cost more than
    // the arithmetic at these sizes. The chunk's holds its residual stream x [n, E]; a layer's intermediates
    // (about n (6E + F) floats) live in the layer's, which every layer reuses, so a decoder needs one layer's
    // worth of scratch, not one per layer.
    /** Logits rows are reserved in steps of this many. */
    public static final int LOGITS_ROW_STEP = 64;

    private static final String CHUNK_WORKSPACE_ID = "longnet-decoder-chunk";
    private static final String LAYER_WORKSPACE_ID = "longnet-decoder-layer";
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.25)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    public LongNetDecoder(ModelWeights weights) {
        this.config = weights.config();
        ModelConfig c = config;
        this.embedTokens = weights.get(WeightLayout.EMBED);
        this.outputWeightT = Arrays2.transposed(weights.get(WeightLayout.OUTPUT), c.vocabSize(), c.embedDim());
        this.embeddingNorm = c.layernormEmbedding() ? DecoderLayer.norm(c, weights, "layernorm_embedding") : null;
        this.finalNorm = c.normalizeBefore() ? DecoderLayer.norm(c, weights, "layer_norm") : null;
        this.layers = new DecoderLayer[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new DecoderLayer(c, weights, i);
        }
        DecoderWarmUp.run();
    }

    /**
     * Compiles the decoder's and the attention kernel's Java code, once per JVM (the first constructor does it
     * too, before the first chunk): about 2 s of CPU on 2 cores, most of it the JIT's. Later calls return at once.
     */
    public static void warmUp() {
        DecoderWarmUp.run();
    }

    public ModelConfig config() {
        return config;
    }

    public DecoderState newState() {
        return newStateAt(0);
    }

    /**
     * The state of a stream at a position where every branch's segment closes (a multiple of every w_i): no
     * kept rows. For streams that start mid-corpus and for tests far along a stream.
     */
    public DecoderState newStateAt(long position) {
        for (Integer w : config.schedule().segmentLengths()) {
            if (position < 0 || position % w != 0) {
                throw new IllegalArgumentException("a stream can start empty only at a multiple of every "
                        + "segment_length " + config.schedule().segmentLengths() + ", got position " + position);
            }
        }
        AttentionState[] perLayer = new AttentionState[layers.length];
        for (int i = 0; i < layers.length; i++) {
            perLayer[i] = layers[i].newState();
        }
        DecoderState state = new DecoderState(perLayer);
        state.advance(position);
        return state;
    }

    /**
     * Runs tokens at positions [state.position(), + n) and advances the state by n.
     *
     * @param tokens        [n] token ids in [0, V)
     * @param computeLogits false to skip the output projection (features only)
     */
    public DecoderOutput forward(int[] tokens, DecoderState state, boolean computeLogits) {
        INDArray features = forward(List.of(new Part(tokens, state))).get(0); // [n, E]
        return new DecoderOutput(features, computeLogits ? logits(features) : null);
    }

    /** One stream's chunk in a batch: its tokens [n], to run at {@code state}'s position. */
    public record Part(int[] tokens, DecoderState state) {
    }

    /**
     * Runs several streams' chunks in one pass and advances each stream's state by its chunk: their rows are
     * stacked [N, E] for the embedding, the norms, the projections and the FFN (one gemm each instead of one per
     * stream), and each stream attends over its own rows and kept rows only. Every step but attention works row
     * by row, so each stream's features are those it gets alone (up to the gemm's summation order).
     *
     * @param parts the streams' chunks, each stream at most once; N tokens in all, at most
     *     {@link ModelConfig#maxChunkTokens()}
     * @return each part's features [n, E], in the order of {@code parts}
     */
    public List<INDArray> forward(List<Part> parts) {
        int total = checkBatch(parts);
        int[] stacked = new int[total]; // [N]
        List<List<StreamRows>> perLayer = new ArrayList<>(layers.length);
        for (int i = 0; i < layers.length; i++) {
            perLayer.add(new ArrayList<>(parts.size()));
        }
        int offset = 0;
        for (Part part : parts) {
            int n = part.tokens().length;
            System.arraycopy(part.tokens(), 0, stacked, offset, n);
            for (int i = 0; i < layers.length; i++) {
                perLayer.get(i).add(new StreamRows(offset, n, part.state().position(), part.state().layer(i)));
            }
            offset += n;
        }
        INDArray features; // [N, E]
        try (MemoryWorkspace chunk = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE,
                CHUNK_WORKSPACE_ID)) {
            INDArray x = embed(stacked); // [N, E]
            for (int i = 0; i < layers.length; i++) {
                try (MemoryWorkspace layer = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE,
                        LAYER_WORKSPACE_ID)) {
                    layers[i].forward(x, perLayer.get(i)); // in place in x, which lives in the chunk's
                }
            }
            if (finalNorm != null) {
                finalNorm.applyInPlace(x);
            }
            features = x.detach();
        }
        for (Part part : parts) {
            part.state().advance(part.tokens().length);
        }
        return split(features, parts);
    }

    /** The batch's total tokens, after checking each part's and the total's size and that no state repeats. */
    private int checkBatch(List<Part> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one stream's chunk");
        }
        int max = config.maxChunkTokens();
        long total = 0;
        Set<DecoderState> states = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Part part : parts) {
            int n = part.tokens().length;
            if (n == 0 || n > max) {
                throw new IllegalArgumentException("a chunk needs 1 to " + max + " tokens at decoder_embed_dim "
                        + config.embedDim() + " and decoder_ffn_embed_dim " + config.ffnDim() + ", got " + n);
            }
            if (!states.add(part.state())) {
                throw new IllegalArgumentException("a batch holds at most one chunk per stream: one state appears "
                        + "twice");
            }
            total += n;
        }
        if (total > max) {
            throw new IllegalArgumentException("a batch needs at most " + max + " tokens in all at decoder_embed_dim "
                    + config.embedDim() + " and decoder_ffn_embed_dim " + config.ffnDim() + ", got " + total
                    + " in " + parts.size() + " chunks");
        }
        return (int) total;
    }

    /** Each part's rows of the batch's features [N, E], as arrays of their own. */
    private static List<INDArray> split(INDArray features, List<Part> parts) {
        if (parts.size() == 1) {
            return List.of(features);
        }
        List<INDArray> out = new ArrayList<>(parts.size());
        long offset = 0;
        for (Part part : parts) {
            int n = part.tokens().length;
            out.add(features.get(NDArrayIndex.interval(offset, offset + n), NDArrayIndex.all()).dup('c'));
            offset += n;
        }
        return out;
    }

    /**
     * Makes room now for the logits of chunks of up to {@code rows} rows, so that the first such chunk does not
     * pay for a fresh [rows, V] buffer (205 MB at 512 rows and V = 100277; faulting that in took 0.6-0.8 s on
     * the 2-core VM the bench ran on). Rows are rounded up to a multiple of {@link #LOGITS_ROW_STEP}.
     */
    public void reserveLogits(int rows) {
        long needed = reservedLogitsRows(rows) * config.vocabSize();
        if (logitsBuffer == null || logitsBuffer.length() < needed) {
            try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                logitsBuffer = Nd4j.createUninitialized(DataType.FLOAT, needed);
            }
        }
    }

    /** The rows of logits the buffer holds now: it grows for a larger chunk or batch and never shrinks. */
    public long logitsBufferRows() {
        return logitsBuffer == null ? 0 : logitsBuffer.length() / config.vocabSize();
    }

    /** The rows {@link #reserveLogits} allocates for {@code rows}: rounded up to a multiple of LOGITS_ROW_STEP. */
    public static long reservedLogitsRows(long rows) {
        return (rows + LOGITS_ROW_STEP - 1) / LOGITS_ROW_STEP * LOGITS_ROW_STEP;
    }

    /**
     * Logits for feature rows: [rows, E] to [rows, V], written into a buffer this decoder reuses: the result
     * is valid until the next call of {@code logits} or {@code forward} on this decoder (one thread only).
     */
    public INDArray logits(INDArray features) {
        reserveLogits((int) features.rows());
        INDArray out = Arrays2.scratch(logitsBuffer, (int) features.rows(), config.vocabSize()); // [rows, V]
        Nd4j.gemm(features, outputWeightT, out, false, false, 1.0, 0.0);
        return out;
    }

    private INDArray embed(int[] tokens) {
        int e = config.embedDim();
        float scale = (float) config.embedScale();
        float[] x = new float[tokens.length * e]; // [n, E]
        for (int i = 0; i < tokens.length; i++) {
            int id = tokens[i];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token " + i + " of the chunk has id " + id
                        + ", outside the model's vocab_size " + config.vocabSize());
            }
            for (int d = 0; d < e; d++) {
                x[i * e + d] = embedTokens[id * e + d] * scale;
            }
        }
        INDArray out = Arrays2.matrix(x, tokens.length, e);
        if (embeddingNorm != null) {
            embeddingNorm.applyInPlace(out);
        }
        return out;
    }
}
