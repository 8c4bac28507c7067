package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import io.longnet.attention.AttentionState;
import io.longnet.attention.DilatedAttention;
import io.longnet.attention.XPos;
import io.longnet.model.ModelConfig;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * torchscale's DilatedAttention module: q, k, v projections (with bias), optional xPos, dilated attention,
 * optional sub-LN (inner_attn_ln), out_proj. Notation: n tokens, E width.
 */
public final class SelfAttention {

    private final int embedDim;
    private final INDArray qkvWeightT;   // [E, 3E]: q, k, v projections side by side, transposed
    private final float[] qkvBias;       // [3E]
    private final INDArray outWeightT;   // [E, E]
    private final float[] outBias;       // [E]
    private final LayerNorm innerNorm;   // subln only
    private final DilatedAttention attention;

    /** @param tensor the module's parameters by torchscale name relative to the module, e.g. "q_proj.weight" */
    public SelfAttention(ModelConfig c, Function<String, float[]> tensor) {
        int e = c.embedDim();
        this.embedDim = e;
        this.qkvWeightT = Nd4j.hstack(
                Arrays2.transposed(tensor.apply("q_proj.weight"), e, e),
                Arrays2.transposed(tensor.apply("k_proj.weight"), e, e),
                Arrays2.transposed(tensor.apply("v_proj.weight"), e, e)).dup('c');
        this.qkvBias = concat(tensor.apply("q_proj.bias"), tensor.apply("k_proj.bias"), tensor.apply("v_proj.bias"));
        this.outWeightT = Arrays2.transposed(tensor.apply("out_proj.weight"), e, e);
        this.outBias = tensor.apply("out_proj.bias").clone();
        this.innerNorm = c.subln() ? new LayerNorm(tensor.apply("inner_attn_ln.weight"),
                tensor.apply("inner_attn_ln.bias"), c.layernormEps()) : null;
        XPos xpos = c.xpos() ? new XPos(tensor.apply("xpos.scale"), c.xposScaleBase()) : null;
        this.attention = new DilatedAttention(c.schedule(), c.heads(), c.headDim(), xpos);
        DilatedAttention.warmUp();
    }

    private static float[] concat(float[]... parts) {
        float[] out = new float[java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    public AttentionState newState() {
        return attention.newState();
    }

    /**
     * The whole module: x [n, E] at stream positions [first, first + n) to [n, E] (out_proj's bias included); the
     * state takes in this chunk's kept rows.
     */
    public INDArray forward(INDArray x, long first, AttentionState state) {
        INDArray heads = attend(x, List.of(new StreamRows(0, (int) x.rows(), first, state))); // [n, E]
        INDArray out = heads.ulike(); // [n, E]
        fillRows(out, outBias);
        addProjected(heads, out);
        return out;
    }

    /**
     * The attention heads of x [N, E], rows of several streams stacked: [N, E], after sub-LN, before out_proj. The
     * projections run over all rows at once; each stream attends over its own rows and kept rows, and its state
     * takes in its rows.
     */
    INDArray attend(INDArray x, List<StreamRows> streams) {
        int n = (int) x.rows();
        INDArray qkv = Nd4j.createUninitialized(DataType.FLOAT, n, 3L * embedDim); // [N, 3E]
        fillRows(qkv, qkvBias); // the gemm adds x W^T to the bias rows (beta = 1): no pass of its own for the bias
        Nd4j.gemm(x, qkvWeightT, qkv, false, false, 1.0, 1.0);
        FloatBuffer all = Arrays2.view(qkv); // [N * 3E]
        INDArray heads;
        if (streams.size() == 1) {
            StreamRows only = streams.get(0);
            heads = Arrays2.matrix(attention.attend(all, n, only.first(), only.state()), n, embedDim);
        } else {
            float[] stacked = new float[n * embedDim]; // [N, E]
            for (StreamRows s : streams) {
                float[] own = attention.attend(all.slice(s.offset() * 3 * embedDim, s.count() * 3 * embedDim),
                        s.count(), s.first(), s.state()); // [count, E]
                System.arraycopy(own, 0, stacked, s.offset() * embedDim, own.length);
            }
            heads = Arrays2.matrix(stacked, n, embedDim);
        }
        java.lang.ref.Reference.reachabilityFence(qkv); // the views do not keep the native memory alive
        if (innerNorm != null) {
            innerNorm.applyInPlace(heads);
        }
        return heads;
    }

    /** sum [n, E] += heads [n, E] out_proj^T, without out_proj's bias ({@link #outBias()}), which callers fold in. */
    void addProjected(INDArray heads, INDArray sum) {
        Nd4j.gemm(heads, outWeightT, sum, false, false, 1.0, 1.0);
    }

    /** out_proj's bias [E]. */
    float[] outBias() {
        return outBias;
    }

    /** Every row of a [rows, width] matrix set to values [width]. */
    private static void fillRows(INDArray matrix, float[] values) {
        NativeRows rows = new NativeRows(matrix);
        RowRanges.run(rows.rows(), rows.width(), (from, to) -> {
            for (int r = from; r < to; r++) {
                rows.write(r, values);
            }
        });
    }
}
