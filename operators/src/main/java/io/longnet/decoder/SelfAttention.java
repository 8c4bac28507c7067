package io.longnet.decoder;

import io.longnet.attention.Arrays2;
import io.longnet.attention.AttentionState;
import io.longnet.attention.DilatedAttention;
import io.longnet.attention.XPos;
import io.longnet.model.ModelConfig;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * torchscale's DilatedAttention module: q, k, v projections (with bias), optional xPos, dilated attention,
 * optional sub-LN (inner_attn_ln), out_proj. Notation: n tokens, E width.
 */
public final class SelfAttention {

    private final int embedDim;
    private final INDArray qkvWeightT;   // [E, 3E]: q, k, v projections side by side, transposed
    private final INDArray qkvBias;      // [3E]
    private final INDArray outWeightT;   // [E, E]
    private final INDArray outBias;      // [E]
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
        this.qkvBias = Nd4j.concat(0, Nd4j.create(tensor.apply("q_proj.bias")),
                Nd4j.create(tensor.apply("k_proj.bias")), Nd4j.create(tensor.apply("v_proj.bias")));
        this.outWeightT = Arrays2.transposed(tensor.apply("out_proj.weight"), e, e);
        this.outBias = Nd4j.create(tensor.apply("out_proj.bias"));
        this.innerNorm = c.subln() ? new LayerNorm(tensor.apply("inner_attn_ln.weight"),
                tensor.apply("inner_attn_ln.bias"), c.layernormEps()) : null;
        XPos xpos = c.xpos() ? new XPos(tensor.apply("xpos.scale"), c.xposScaleBase()) : null;
        this.attention = new DilatedAttention(c.schedule(), c.heads(), c.headDim(), xpos);
        DilatedAttention.warmUp();
    }

    public AttentionState newState() {
        return attention.newState();
    }

    /** x [n, E] at stream positions [first, first + n) to [n, E]; the state takes in this chunk's kept rows. */
    public INDArray forward(INDArray x, long first, AttentionState state) {
        int n = (int) x.rows();
        INDArray qkv = x.mmul(qkvWeightT).addiRowVector(qkvBias); // [n, 3E], read in place by the kernel
        INDArray heads = Arrays2.matrix(attention.attend(Arrays2.view(qkv), n, first, state), n, embedDim); // [n, E]
        java.lang.ref.Reference.reachabilityFence(qkv); // the view does not keep the native memory alive
        if (innerNorm != null) {
            innerNorm.applyInPlace(heads);
        }
        return heads.mmul(outWeightT).addiRowVector(outBias);
    }
}
