package io.longnet.train;

import io.longnet.attention.Arrays2;
import io.longnet.attention.AttentionState;
import io.longnet.attention.DilatedAttention;
import io.longnet.attention.DilatedAttentionGrad;
import io.longnet.attention.XPos;
import io.longnet.compute.ComputeThreads;
import io.longnet.compute.ParallelLoop;
import io.longnet.decoder.NativeRows;
import io.longnet.model.ModelConfig;
import io.longnet.model.WeightLayout;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The LongNet decoder's forward and backward pass over one chunk of a training stream (spec section 4), the same
 * decoder that {@code forward} and the job run: the chunk attends to the kept rows its stream's
 * {@link AttentionState}s hold from earlier chunks, which enter as constants (stop-gradient memory), and the
 * states take in the chunk's rows. So memory per chunk is the chunk's activations, whatever the stream's length,
 * and a chunk holding the whole sequence is the exact full-sequence gradient.
 *
 * <p>Matrix products run as ND4J gemms on native copies of the weights ({@link #upload} after each optimizer
 * step); gradients of those matrices accumulate in native memory until {@link #downloadGradients}. Row-wise
 * passes (LayerNorm, activation, bias, residual) run in Java on the compute threads, in fixed row ranges, so
 * the same thread count gives the same bits. Notation: n chunk tokens, E width, F FFN width, V vocabulary.
 */
public final class TrainingDecoder {

    /**
     * One workspace holds a chunk's activations and is reused from chunk to chunk: fresh native allocations of
     * this size (page faults, zeroing) took twice the time of the gemms. It learns its size on the first chunk
     * and grows when a longer one comes.
     */
    private static final String WORKSPACE_ID = "longnet-train-chunk";
    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.25)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    /** Logit rows per block of the output layer: [rows, V] floats live at once. */
    private static final int LOGIT_BLOCK_FLOATS = 1 << 24;
    private static final long PARALLEL_MIN_ELEMENTS = 1 << 15;

    private final ModelConfig c;
    private final Parameters weights;
    private final Parameters grads;
    private final DilatedAttention[] attention;     // per layer (xPos scales differ by layer)
    private final DilatedAttentionGrad[] attentionGrad;
    private final INDArray[] qkvW;    // [3E, E] per layer: q, k, v projections stacked
    private final INDArray[] outW;    // [E, E]
    private final INDArray[] fc1W;    // [F, E]
    private final INDArray[] fc2W;    // [E, F]
    private final INDArray outputW;   // [V, E], the embedding when tied
    private final INDArray[] dQkvW;
    private final INDArray[] dOutW;
    private final INDArray[] dFc1W;
    private final INDArray[] dFc2W;
    private final INDArray dOutputW;

    /** @param weights the master weights (read at {@link #upload}); grads receives {@link #downloadGradients} */
    public TrainingDecoder(Parameters weights, Parameters grads) {
        this.c = weights.config();
        this.weights = weights;
        this.grads = grads;
        int layers = c.layers();
        long e = c.embedDim();
        long f = c.ffnDim();
        attention = new DilatedAttention[layers];
        attentionGrad = new DilatedAttentionGrad[layers];
        qkvW = new INDArray[layers];
        outW = new INDArray[layers];
        fc1W = new INDArray[layers];
        fc2W = new INDArray[layers];
        dQkvW = new INDArray[layers];
        dOutW = new INDArray[layers];
        dFc1W = new INDArray[layers];
        dFc2W = new INDArray[layers];
        for (int l = 0; l < layers; l++) {
            XPos xpos = c.xpos() ? new XPos(weights.buffer(name(l, "self_attn.xpos.scale")), c.xposScaleBase()) : null;
            attention[l] = new DilatedAttention(c.schedule(), c.heads(), c.headDim(), xpos);
            attentionGrad[l] = new DilatedAttentionGrad(c.schedule(), c.heads(), c.headDim(), xpos);
            qkvW[l] = Nd4j.create(DataType.FLOAT, 3 * e, e);
            outW[l] = Nd4j.create(DataType.FLOAT, e, e);
            fc1W[l] = Nd4j.create(DataType.FLOAT, f, e);
            fc2W[l] = Nd4j.create(DataType.FLOAT, e, f);
            dQkvW[l] = Nd4j.create(DataType.FLOAT, 3 * e, e);
            dOutW[l] = Nd4j.create(DataType.FLOAT, e, e);
            dFc1W[l] = Nd4j.create(DataType.FLOAT, f, e);
            dFc2W[l] = Nd4j.create(DataType.FLOAT, e, f);
        }
        outputW = Nd4j.create(DataType.FLOAT, c.vocabSize(), e);
        dOutputW = Nd4j.create(DataType.FLOAT, c.vocabSize(), e);
        upload();
    }

    public ModelConfig config() {
        return c;
    }

    static String name(int layer, String tensor) {
        return WeightLayout.layerPrefix(layer) + tensor;
    }

    private String outputName() {
        return c.shareInputOutputEmbed() ? WeightLayout.EMBED : WeightLayout.OUTPUT;
    }

    /** Copies the master weights into the native matrices the gemms read. */
    public void upload() {
        int e = c.embedDim();
        for (int l = 0; l < c.layers(); l++) {
            put(qkvW[l], 0, weights.get(name(l, "self_attn.q_proj.weight")));
            put(qkvW[l], (long) e * e, weights.get(name(l, "self_attn.k_proj.weight")));
            put(qkvW[l], 2L * e * e, weights.get(name(l, "self_attn.v_proj.weight")));
            put(outW[l], 0, weights.get(name(l, "self_attn.out_proj.weight")));
            put(fc1W[l], 0, weights.get(name(l, "ffn.fc1.weight")));
            put(fc2W[l], 0, weights.get(name(l, "ffn.fc2.weight")));
        }
        put(outputW, 0, weights.get(outputName()));
    }

    private static void put(INDArray target, long offset, float[] values) {
        Arrays2.view(target).put((int) offset, values);
    }

    /** Adds the matrices' native gradients to {@code grads} and zeroes them. Biases and norms are added directly. */
    public void downloadGradients() {
        int e = c.embedDim();
        for (int l = 0; l < c.layers(); l++) {
            float[] qkv = Arrays2.rowMajor(dQkvW[l]);
            addSlice(name(l, "self_attn.q_proj.weight"), qkv, 0);
            addSlice(name(l, "self_attn.k_proj.weight"), qkv, e * e);
            addSlice(name(l, "self_attn.v_proj.weight"), qkv, 2 * e * e);
            addSlice(name(l, "self_attn.out_proj.weight"), Arrays2.rowMajor(dOutW[l]), 0);
            addSlice(name(l, "ffn.fc1.weight"), Arrays2.rowMajor(dFc1W[l]), 0);
            addSlice(name(l, "ffn.fc2.weight"), Arrays2.rowMajor(dFc2W[l]), 0);
            for (INDArray d : new INDArray[] {dQkvW[l], dOutW[l], dFc1W[l], dFc2W[l]}) {
                d.assign(0);
            }
        }
        addSlice(outputName(), Arrays2.rowMajor(dOutputW), 0);
        dOutputW.assign(0);
    }

    private void addSlice(String name, float[] source, int offset) {
        float[] g = grads.get(name);
        for (int i = 0; i < g.length; i++) {
            g[i] += source[offset + i];
        }
    }

    /**
     * Bytes the calling thread's chunk workspace holds: the activations of the longest chunk so far, what a training
     * step needs beside the weights, the optimizer state and the streams' kept rows.
     */
    public static long workspaceBytes() {
        return Nd4j.getWorkspaceManager().checkIfWorkspaceExists(WORKSPACE_ID)
                ? Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(WORKSPACE_ID).getCurrentSize() : 0;
    }

    /** Fresh attention states for a stream from position 0, one per layer. */
    public AttentionState[] newStreamState() {
        AttentionState[] states = new AttentionState[c.layers()];
        for (int l = 0; l < states.length; l++) {
            states[l] = attention[l].newState();
        }
        return states;
    }

    /**
     * One chunk of a stream: forward, and backward when {@code lossScale} is not 0.
     *
     * @param tokens    [n] the chunk's tokens, at stream positions [first, first + n)
     * @param targets   [n] the next token of each position, -1 where there is none (not in the loss)
     * @param states    the stream's attention states; they take in the chunk's kept rows
     * @param lossScale d(loss)/d(sum of this chunk's cross-entropies), e.g. 1 / (targets in the step); 0 for
     *                  the loss alone (evaluation: no activations kept, no gradient)
     * @return the sum of the chunk's cross-entropies (nats) and how many targets it had
     */
    public ChunkLoss step(int[] tokens, int[] targets, long first, AttentionState[] states, double lossScale) {
        int n = tokens.length;
        if (n == 0 || targets.length != n) {
            throw new IllegalArgumentException("a chunk needs n >= 1 tokens and n targets, got " + n + " and "
                    + targets.length);
        }
        if (n > c.maxChunkTokens()) {
            throw new IllegalArgumentException("a chunk of " + n + " tokens is over this model's limit of "
                    + c.maxChunkTokens() + " (decoder_embed_dim " + c.embedDim() + ", decoder_ffn_embed_dim "
                    + c.ffnDim() + "): lower --chunk");
        }
        boolean backward = lossScale != 0;
        try (MemoryWorkspace workspace = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, WORKSPACE_ID)) {
            Embedded embedded = embed(tokens);
            INDArray x = embedded.out();
            LayerActivations[] saved = new LayerActivations[c.layers()]; // read by the backward pass
            for (int l = 0; l < c.layers(); l++) {
                saved[l] = forwardLayer(l, x, first, states[l], backward);
                x = saved[l].out;

            }
            double[] finalStats = new double[2 * n];
            INDArray features = x;
            if (c.normalizeBefore()) {
                features = alloc(n, c.embedDim());
                layerNorm(x, features, "layer_norm", finalStats);
            }
            INDArray dFeatures = backward ? alloc(n, c.embedDim()) : null;
            ChunkLoss loss = outputLayer(features, targets, lossScale, dFeatures);
            if (!backward) {
                return loss;
            }
            INDArray dx = dFeatures;
            if (c.normalizeBefore()) {
                dx = alloc(n, c.embedDim());
                layerNormBackward(x, dFeatures, "layer_norm", finalStats, dx, false);
            }
            for (int l = c.layers() - 1; l >= 0; l--) {
                dx = backwardLayer(l, saved[l], dx, first);
            }
            embedBackward(tokens, embedded, dx);
            return loss;
        }
    }

    /** The sum of a chunk's next-token cross-entropies, in nats, over {@code targets} targets. */
    public record ChunkLoss(double sum, long targets, double[] perToken /* [n] nats, 0 where no target */) {
    }

    // ---------------------------------------------------------------- embedding

    private record Embedded(INDArray scaled, double[] stats, INDArray out) {
    }

    private Embedded embed(int[] tokens) {
        int e = c.embedDim();
        float[] table = weights.get(WeightLayout.EMBED);
        float scale = (float) c.embedScale();
        float[] x = new float[tokens.length * e]; // [n, E]
        for (int p = 0; p < tokens.length; p++) {
            int id = tokens[p];
            if (id < 0 || id >= c.vocabSize()) {
                throw new IllegalArgumentException("token " + p + " of the chunk has id " + id
                        + ", outside the model's vocab_size " + c.vocabSize());
            }
            for (int d = 0; d < e; d++) {
                x[p * e + d] = table[id * e + d] * scale;
            }
        }
        INDArray scaled = Arrays2.matrix(x, tokens.length, e);
        if (!c.layernormEmbedding()) {
            return new Embedded(scaled, null, scaled);
        }
        double[] stats = new double[2 * tokens.length];
        INDArray out = alloc(tokens.length, e);
        layerNorm(scaled, out, "layernorm_embedding", stats);
        return new Embedded(scaled, stats, out);
    }

    private void embedBackward(int[] tokens, Embedded embedded, INDArray dOut) {
        int e = c.embedDim();
        INDArray dScaled = dOut;
        if (embedded.stats() != null) {
            dScaled = alloc(tokens.length, e);
            layerNormBackward(embedded.scaled(), dOut, "layernorm_embedding", embedded.stats(), dScaled, false);
        }
        float[] d = Arrays2.rowMajor(dScaled);
        float[] g = grads.get(WeightLayout.EMBED);
        double scale = c.embedScale();
        for (int p = 0; p < tokens.length; p++) {
            int row = tokens[p] * e;
            for (int i = 0; i < e; i++) {
                g[row + i] += (float) (scale * d[p * e + i]);
            }
        }
    }

    // ---------------------------------------------------------------- layers

    /** What one layer's backward pass needs of its forward. */
    private static final class LayerActivations {
        INDArray in;          // [n, E] the layer's input
        INDArray attnIn;      // [n, E] what the q/k/v projections read: LN1(in) (pre-LN) or in (post-LN)
        double[] attnInStats; // pre-LN: LN1's
        INDArray qkv;         // [n, 3E]
        AttentionState.KeptRows prior;
        float[] heads;        // [n, E] attention output before sub-LN
        double[] lse;         // [n, H]
        INDArray headsNative; // [n, E] the same, native
        INDArray projIn;      // [n, E] what out_proj reads: sub-LN(heads) or heads
        double[] projInStats; // subln: inner_attn_ln's
        INDArray mid;         // [n, E] pre-LN: x after the attention residual; post-LN: its sum before LN1
        INDArray ffnIn;       // [n, E] what fc1 reads
        double[] ffnInStats;  // LN2 (pre-LN) or LN1 (post-LN, of mid)
        INDArray preAct;      // [n, F] fc1 output + bias
        INDArray act;         // [n, F] activation(preAct)
        INDArray fc2In;       // [n, F] ffn_layernorm(act) or act
        double[] fc2InStats;  // subln: ffn_layernorm's
        INDArray sum2;        // [n, E] post-LN: the FFN residual sum before LN2
        double[] outStats;    // post-LN: LN2's
        INDArray out;         // [n, E] the layer's output
    }

    private LayerActivations forwardLayer(int l, INDArray x, long first, AttentionState state, boolean backward) {
        int n = (int) x.rows();
        int e = c.embedDim();
        double alpha = c.residualAlpha();
        LayerActivations a = new LayerActivations();
        a.in = x;
        if (c.normalizeBefore()) {
            a.attnInStats = new double[2 * n];
            a.attnIn = alloc(n, e);
            layerNorm(x, a.attnIn, name(l, "self_attn_layer_norm"), a.attnInStats);
        } else {
            a.attnIn = x;
        }
        attend(l, a, first, state, backward);
        INDArray residual = alloc(n, e); // alpha x + proj + bias
        affine(x, alpha, weights.get(name(l, "self_attn.out_proj.bias")), residual);
        Nd4j.gemm(a.projIn, outW[l], residual, false, true, 1.0, 1.0);
        a.mid = residual;
        if (c.normalizeBefore()) {
            a.ffnInStats = new double[2 * n];
            a.ffnIn = alloc(n, e);
            layerNorm(a.mid, a.ffnIn, name(l, "final_layer_norm"), a.ffnInStats);
        } else {
            a.ffnInStats = new double[2 * n];
            a.ffnIn = alloc(n, e);
            layerNorm(a.mid, a.ffnIn, name(l, "self_attn_layer_norm"), a.ffnInStats);
        }
        feedForward(l, a);
        INDArray sum = alloc(n, e);
        affine(c.normalizeBefore() ? a.mid : a.ffnIn, alpha, weights.get(name(l, "ffn.fc2.bias")), sum);
        Nd4j.gemm(a.fc2In, fc2W[l], sum, false, true, 1.0, 1.0);
        if (c.normalizeBefore()) {
            a.out = sum;
        } else {
            a.sum2 = sum;
            a.outStats = new double[2 * n];
            a.out = alloc(n, e);
            layerNorm(sum, a.out, name(l, "final_layer_norm"), a.outStats);
        }
        return a;
    }

    private void attend(int l, LayerActivations a, long first, AttentionState state, boolean backward) {
        int n = (int) a.attnIn.rows();
        int e = c.embedDim();
        a.qkv = alloc(n, 3L * e);
        Nd4j.gemm(a.attnIn, qkvW[l], a.qkv, false, true, 1.0, 0.0);
        float[] bias = concat(weights.get(name(l, "self_attn.q_proj.bias")),
                weights.get(name(l, "self_attn.k_proj.bias")), weights.get(name(l, "self_attn.v_proj.bias")));
        affine(a.qkv, 1.0, bias, a.qkv);
        a.prior = backward ? state.copyKept() : null; // only the backward pass reads the rows before the chunk
        a.lse = new double[n * c.heads()];
        a.heads = attention[l].attend(Arrays2.view(a.qkv), n, first, state, a.lse);
        a.headsNative = Arrays2.matrix(a.heads, n, e);
        if (c.subln()) {
            a.projInStats = new double[2 * n];
            a.projIn = alloc(n, e);
            layerNorm(a.headsNative, a.projIn, name(l, "self_attn.inner_attn_ln"), a.projInStats);
        } else {
            a.projIn = a.headsNative;
        }
    }

    private void feedForward(int l, LayerActivations a) {
        int n = (int) a.ffnIn.rows();
        int f = c.ffnDim();
        a.preAct = alloc(n, f);
        Nd4j.gemm(a.ffnIn, fc1W[l], a.preAct, false, true, 1.0, 0.0);
        float[] bias = weights.get(name(l, "ffn.fc1.bias"));
        a.act = alloc(n, f);
        NativeRows pre = new NativeRows(a.preAct);
        NativeRows act = new NativeRows(a.act);
        forRows(n, f, (from, to) -> {
            float[] row = new float[f];
            float[] out = new float[f];
            for (int r = from; r < to; r++) {
                pre.read(r, row);
                RowOps.biasActivate(c.activation(), row, bias, out);
                pre.write(r, row);
                act.write(r, out);
            }
        });
        if (c.subln()) {
            a.fc2InStats = new double[2 * n];
            a.fc2In = alloc(n, f);
            layerNorm(a.act, a.fc2In, name(l, "ffn.ffn_layernorm"), a.fc2InStats);
        } else {
            a.fc2In = a.act;
        }
    }

    /** dOut [n, E] of the layer's output to dIn [n, E] of its input; adds the layer's parameter gradients. */
    private INDArray backwardLayer(int l, LayerActivations a, INDArray dOut, long first) {
        int n = (int) dOut.rows();
        int e = c.embedDim();
        int f = c.ffnDim();
        double alpha = c.residualAlpha();
        INDArray dSum = dOut; // gradient of the FFN residual sum
        if (!c.normalizeBefore()) {
            dSum = alloc(n, e);
            layerNormBackward(a.sum2, dOut, name(l, "final_layer_norm"), a.outStats, dSum, false);
        }
        // sum = alpha * residualIn + fc2(fc2In) + b2
        INDArray dFc2In = alloc(n, f);
        linearBackward(dSum, a.fc2In, fc2W[l], dFc2W[l], name(l, "ffn.fc2.bias"), dFc2In);
        INDArray dAct = dFc2In;
        if (c.subln()) {
            dAct = alloc(n, f);
            layerNormBackward(a.act, dFc2In, name(l, "ffn.ffn_layernorm"), a.fc2InStats, dAct, false);
        }
        activationBackward(a.preAct, dAct); // dAct becomes d(preAct)
        INDArray dFfnIn = alloc(n, e);
        linearBackward(dAct, a.ffnIn, fc1W[l], dFc1W[l], name(l, "ffn.fc1.bias"), dFfnIn);
        INDArray dMid = alloc(n, e); // gradient of the attention residual sum
        if (c.normalizeBefore()) {
            scaled(dSum, alpha, dMid);
            layerNormBackward(a.mid, dFfnIn, name(l, "final_layer_norm"), a.ffnInStats, dMid, true);
        } else {
            addScaled(dFfnIn, dSum, alpha); // residualIn is ffnIn = LN1(mid)
            layerNormBackward(a.mid, dFfnIn, name(l, "self_attn_layer_norm"), a.ffnInStats, dMid, false);
        }
        // mid = alpha * in + out_proj(projIn) + b_o
        INDArray dProjIn = alloc(n, e);
        linearBackward(dMid, a.projIn, outW[l], dOutW[l], name(l, "self_attn.out_proj.bias"), dProjIn);
        INDArray dHeads = dProjIn;
        if (c.subln()) {
            dHeads = alloc(n, e);
            layerNormBackward(a.headsNative, dProjIn, name(l, "self_attn.inner_attn_ln"), a.projInStats, dHeads,
                    false);
        }
        float[] dqkv = attentionGrad[l].backward(Arrays2.view(a.qkv), n, first, a.prior, a.heads, a.lse,
                Arrays2.rowMajor(dHeads));
        INDArray dQkv = Arrays2.matrix(dqkv, n, 3 * e);
        addBiasGrad(dQkv, name(l, "self_attn.q_proj.bias"), name(l, "self_attn.k_proj.bias"),
                name(l, "self_attn.v_proj.bias"));
        INDArray dIn = alloc(n, e);
        scaled(dMid, alpha, dIn);
        if (c.normalizeBefore()) {
            INDArray dAttnIn = alloc(n, e);
            Nd4j.gemm(dQkv, qkvW[l], dAttnIn, false, false, 1.0, 0.0);
            Nd4j.gemm(dQkv, a.attnIn, dQkvW[l], true, false, 1.0, 1.0);
            layerNormBackward(a.in, dAttnIn, name(l, "self_attn_layer_norm"), a.attnInStats, dIn, true);
        } else {
            Nd4j.gemm(dQkv, qkvW[l], dIn, false, false, 1.0, 1.0);
            Nd4j.gemm(dQkv, a.attnIn, dQkvW[l], true, false, 1.0, 1.0);
        }
        return dIn;
    }

    /** y = x W^T + b: dIn = dy W, dW += dy^T x, db += column sums of dy. */
    private void linearBackward(INDArray dy, INDArray x, INDArray w, INDArray dW, String biasName, INDArray dIn) {
        Nd4j.gemm(dy, w, dIn, false, false, 1.0, 0.0);
        Nd4j.gemm(dy, x, dW, true, false, 1.0, 1.0);
        addBiasGrad(dy, biasName);
    }

    // ---------------------------------------------------------------- output layer

    private ChunkLoss outputLayer(INDArray features, int[] targets, double lossScale, INDArray dFeatures) {
        int n = targets.length;
        int v = c.vocabSize();
        int blockRows = Math.max(1, Math.min(n, LOGIT_BLOCK_FLOATS / v));
        INDArray logitsBuffer = alloc(blockRows, v);
        boolean oneBlock = blockRows == n;
        INDArray featBuffer = oneBlock ? features : alloc(blockRows, c.embedDim());
        INDArray dFeatBuffer = oneBlock || dFeatures == null ? dFeatures : alloc(blockRows, c.embedDim());
        double[] rowLoss = new double[n];
        long count = 0;
        for (int t : targets) {
            if (t >= v) {
                throw new IllegalArgumentException("target token id " + t + " is outside vocab_size " + v);
            }
            count += t >= 0 ? 1 : 0;
        }
        for (int r0 = 0; r0 < n; r0 += blockRows) {
            int rows = Math.min(blockRows, n - r0);
            INDArray logits = rows == blockRows ? logitsBuffer : Arrays2.scratch(logitsBuffer.reshape(-1), rows, v);
            INDArray feat = oneBlock ? features : copyRows(features, r0, rows, featBuffer);
            Nd4j.gemm(feat, outputW, logits, false, true, 1.0, 0.0);
            NativeRows lr = new NativeRows(logits);
            int base = r0;
            forRows(rows, v, (from, to) -> {
                float[] row = new float[v];
                for (int r = from; r < to; r++) {
                    int target = targets[base + r];
                    lr.read(r, row);
                    if (target < 0) {
                        java.util.Arrays.fill(row, 0f);
                    } else {
                        rowLoss[base + r] = RowOps.crossEntropy(row, target, lossScale != 0 ? row : null, lossScale);
                    }
                    if (lossScale != 0) {
                        lr.write(r, row);
                    }
                }
            });
            if (lossScale != 0) {
                INDArray dFeat = oneBlock ? dFeatures : Arrays2.scratch(dFeatBuffer.reshape(-1), rows, c.embedDim());
                Nd4j.gemm(logits, outputW, dFeat, false, false, 1.0, 0.0);
                Nd4j.gemm(logits, feat, dOutputW, true, false, 1.0, 1.0);
                if (!oneBlock) {
                    float[] block = new float[rows * c.embedDim()];
                    Arrays2.view(dFeat).get(0, block);
                    Arrays2.view(dFeatures).put(r0 * c.embedDim(), block);
                }
            }
        }
        double sum = 0;
        for (double x : rowLoss) {
            sum += x;
        }
        return new ChunkLoss(sum, count, rowLoss);
    }

    /** Rows [from, from + rows) of m copied into the first rows of buffer; returns them as a [rows, width] matrix. */
    private static INDArray copyRows(INDArray m, int from, int rows, INDArray buffer) {
        int width = (int) m.columns();
        float[] block = new float[rows * width];
        Arrays2.view(m).get(from * width, block);
        INDArray out = Arrays2.scratch(buffer.reshape(-1), rows, width);
        Arrays2.view(out).put(0, block);
        return out;
    }

    // ---------------------------------------------------------------- row passes

    private void layerNorm(INDArray x, INDArray y, String prefix, double[] stats) {
        float[] gamma = weights.get(prefix + ".weight");
        float[] beta = weights.get(prefix + ".bias");
        NativeRows in = new NativeRows(x);
        NativeRows out = new NativeRows(y);
        int w = in.width();
        forRows(in.rows(), w, (from, to) -> {
            float[] row = new float[w];
            for (int r = from; r < to; r++) {
                in.read(r, row);
                RowOps.layerNorm(row, row, gamma, beta, c.layernormEps(), stats, r);
                out.write(r, row);
            }
        });
    }

    /** dx (= or +=) the LayerNorm backward of dy at input x; adds the norm's gradients. */
    private void layerNormBackward(INDArray x, INDArray dy, String prefix, double[] stats, INDArray dx,
                                   boolean accumulate) {
        float[] gamma = weights.get(prefix + ".weight");
        NativeRows in = new NativeRows(x);
        NativeRows dOut = new NativeRows(dy);
        NativeRows dIn = new NativeRows(dx);
        int w = in.width();
        int n = in.rows();
        int parts = threadsFor(n, w);
        float[][] dGamma = new float[parts][w];
        float[][] dBeta = new float[parts][w];
        ParallelLoop.forEach(parts, parts, part -> {
            float[] row = new float[w];
            float[] d = new float[w];
            float[] out = new float[w];
            for (int r = n * part / parts; r < n * (part + 1) / parts; r++) {
                in.read(r, row);
                dOut.read(r, d);
                if (accumulate) {
                    dIn.read(r, out);
                }
                RowOps.layerNormBackward(row, d, gamma, stats, r, out, accumulate, dGamma[part], dBeta[part]);
                dIn.write(r, out);
            }
        });
        addPartials(grads.get(prefix + ".weight"), dGamma);
        addPartials(grads.get(prefix + ".bias"), dBeta);
    }

    /** d [n, F] (the gradient of the activation's output) times activation'(preAct), in place. */
    private void activationBackward(INDArray preAct, INDArray d) {
        NativeRows pre = new NativeRows(preAct);
        NativeRows grad = new NativeRows(d);
        int f = pre.width();
        forRows(pre.rows(), f, (from, to) -> {
            float[] x = new float[f];
            float[] g = new float[f];
            for (int r = from; r < to; r++) {
                pre.read(r, x);
                grad.read(r, g);
                RowOps.activationBackward(c.activation(), x, g);
                grad.write(r, g);
            }
        });
    }

    /** out = alpha x + bias per row; out may be x. */
    private void affine(INDArray x, double alpha, float[] bias, INDArray out) {
        NativeRows in = new NativeRows(x);
        NativeRows o = new NativeRows(out);
        int w = in.width();
        float a = (float) alpha;
        forRows(in.rows(), w, (from, to) -> {
            float[] row = new float[w];
            for (int r = from; r < to; r++) {
                in.read(r, row);
                for (int i = 0; i < w; i++) {
                    row[i] = a * row[i] + bias[i];
                }
                o.write(r, row);
            }
        });
    }

    private void scaled(INDArray x, double alpha, INDArray out) {
        affine(x, alpha, new float[(int) x.columns()], out);
    }

    /** target += alpha x. */
    private void addScaled(INDArray target, INDArray x, double alpha) {
        NativeRows t = new NativeRows(target);
        NativeRows in = new NativeRows(x);
        int w = t.width();
        float a = (float) alpha;
        forRows(t.rows(), w, (from, to) -> {
            float[] row = new float[w];
            float[] add = new float[w];
            for (int r = from; r < to; r++) {
                t.read(r, row);
                in.read(r, add);
                for (int i = 0; i < w; i++) {
                    row[i] += a * add[i];
                }
                t.write(r, row);
            }
        });
    }

    /** Column sums of dy [n, sum of the biases' widths] added to the named biases' gradients, in order. */
    private void addBiasGrad(INDArray dy, String... biasNames) {
        NativeRows rows = new NativeRows(dy);
        int w = rows.width();
        int n = rows.rows();
        int parts = threadsFor(n, w);
        double[][] partial = new double[parts][w];
        ParallelLoop.forEach(parts, parts, part -> {
            float[] row = new float[w];
            for (int r = n * part / parts; r < n * (part + 1) / parts; r++) {
                rows.read(r, row);
                for (int i = 0; i < w; i++) {
                    partial[part][i] += row[i];
                }
            }
        });
        int offset = 0;
        for (String name : biasNames) {
            float[] g = grads.get(name);
            for (int i = 0; i < g.length; i++) {
                double s = 0;
                for (double[] p : partial) {
                    s += p[offset + i];
                }
                g[i] += (float) s;
            }
            offset += g.length;
        }
    }

    private static void addPartials(float[] target, float[][] partials) {
        for (int i = 0; i < target.length; i++) {
            double s = 0;
            for (float[] p : partials) {
                s += p[i];
            }
            target[i] += (float) s;
        }
    }

    private static int threadsFor(int rows, int width) {
        return (long) rows * width < PARALLEL_MIN_ELEMENTS ? 1 : Math.min(rows, ComputeThreads.get());
    }

    private static void forRows(int rows, int width, ParallelLoop.Range body) {
        ParallelLoop.forEachRange(rows, threadsFor(rows, width), body);
    }

    /** An uninitialised [rows, cols] matrix in the chunk's workspace. */
    private static INDArray alloc(long rows, long cols) {
        return Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
    }

    private static float[] concat(float[]... parts) {
        int length = 0;
        for (float[] p : parts) {
            length += p.length;
        }
        float[] out = new float[length];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
