package io.longnet.model;

/**
 * A LongNet decoder's shape and options, named after torchscale's DecoderConfig keys (spec section 4).
 * Immutable and validated at construction: every error names the key and the value.
 *
 * @param vocabSize                     vocab_size
 * @param embedDim                      decoder_embed_dim (E)
 * @param heads                         decoder_attention_heads (H); E must be a multiple of H
 * @param ffnDim                        decoder_ffn_embed_dim (F)
 * @param layers                        decoder_layers
 * @param schedule                      segment_length + dilated_ratio (+ our longnet_head_offsets)
 * @param normalizeBefore               decoder_normalize_before: true (torchscale's default, deepnorm or not) is
 *                                      pre-LN with the final {@code layer_norm}; false is post-LN
 *                                      (LN after each residual add) without it
 * @param subln                         subln: inner_attn_ln and ffn_layernorm, with pre-LN or post-LN alike
 * @param deepnorm                      deepnorm: both residual adds are alpha * x + f(..), alpha = (2 * layers)^(1/4);
 *                                      excludes subln, and leaves decoder_normalize_before as given
 * @param activation                    activation_fn
 * @param noScaleEmbedding              no_scale_embedding (embed_scale = 1, else sqrt(E))
 * @param layernormEmbedding            layernorm_embedding
 * @param layernormEps                  layernorm_eps
 * @param xpos                          xpos_rel_pos
 * @param xposScaleBase                 xpos_scale_base
 * @param shareInputOutputEmbed         share_decoder_input_output_embed
 */
public record ModelConfig(
        int vocabSize,
        int embedDim,
        int heads,
        int ffnDim,
        int layers,
        DilationSchedule schedule,
        boolean normalizeBefore,
        boolean subln,
        boolean deepnorm,
        Activation activation,
        boolean noScaleEmbedding,
        boolean layernormEmbedding,
        double layernormEps,
        boolean xpos,
        double xposScaleBase,
        boolean shareInputOutputEmbed) {

    public ModelConfig {
        requirePositive("vocab_size", vocabSize);
        requirePositive("decoder_embed_dim", embedDim);
        requirePositive("decoder_attention_heads", heads);
        requirePositive("decoder_ffn_embed_dim", ffnDim);
        requirePositive("decoder_layers", layers);
        if (embedDim % heads != 0) {
            throw new IllegalArgumentException("decoder_embed_dim " + embedDim
                    + " is not a multiple of decoder_attention_heads " + heads);
        }
        if (schedule == null) {
            throw new IllegalArgumentException("segment_length and dilated_ratio must be set");
        }
        if (activation == null) {
            throw new IllegalArgumentException("activation_fn must be set");
        }
        if (!(layernormEps > 0) || Double.isInfinite(layernormEps)) {
            throw new IllegalArgumentException("layernorm_eps must be a positive number, got " + layernormEps);
        }
        if (xpos && (embedDim / heads) % 2 != 0) {
            throw new IllegalArgumentException("xpos_rel_pos needs an even head width, but decoder_embed_dim "
                    + embedDim + " / decoder_attention_heads " + heads + " = " + embedDim / heads);
        }
        if (!(xposScaleBase > 0) || Double.isInfinite(xposScaleBase)) {
            throw new IllegalArgumentException("xpos_scale_base must be a positive number, got " + xposScaleBase);
        }
        if (deepnorm && subln) {
            throw new IllegalArgumentException("deepnorm true excludes subln true "
                    + "(torchscale's DecoderConfig sets subln = False when deepnorm is set)");
        }
        requireStateFitsArrays(schedule, embedDim / heads);
    }

    /**
     * One head's kept rows of a branch live in one Java array each, keys [rows, D] and values [rows, Dp] (Dp: D
     * rounded up to the widest vector, 16), indexed with int products: ceil(w / r) x Dp must stay within an array.
     */
    private static void requireStateFitsArrays(DilationSchedule schedule, int headDim) {
        long padded = (headDim + 15L) / 16 * 16;
        for (int b = 0; b < schedule.size(); b++) {
            Branch branch = schedule.branch(b);
            long rows = (branch.maxKeptRows() + 15L) / 16 * 16;
            if (rows * padded > MAX_ARRAY_VALUES) {
                throw new IllegalArgumentException("segment_length " + branch.segmentLength() + " with dilated_ratio "
                        + branch.dilatedRatio() + " keeps up to " + branch.maxKeptRows() + " rows per head; with the "
                        + "head width " + headDim + " (padded to " + padded + ") that is " + rows * padded
                        + " values, more than one array holds (" + MAX_ARRAY_VALUES + ")");
            }
        }
    }

    private static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }

    /** D = E / H. */
    public int headDim() {
        return embedDim / heads;
    }

    public double embedScale() {
        return noScaleEmbedding ? 1.0 : Math.sqrt(embedDim);
    }

    /** The residual scale: torchscale's decoder-only deepnorm alpha, else 1. */
    public double residualAlpha() {
        return deepnorm ? Math.pow(2.0 * layers, 0.25) : 1.0;
    }

    /** The most values this project puts in one Java array (the JVM's own cap is a few below 2^31 - 1). */
    public static final long MAX_ARRAY_VALUES = Integer.MAX_VALUE - 8;

    /** The most floats a buffer view of native memory spans: {@code asBuffer()} views count bytes in an int. */
    public static final long MAX_VIEW_FLOATS = Integer.MAX_VALUE / Float.BYTES;

    /**
     * The most tokens one decoder chunk may hold: its q, k, v [n, 3E] are copied into one Java array of at
     * most MAX_ARRAY_VALUES, and read, like the FFN's hidden rows [n, F], through buffer views of at most
     * MAX_VIEW_FLOATS (2^31 bytes). Longer sequences go through the streaming decoder in several chunks, which
     * gives the same numbers. At E = 768, F = 3072: 174,762.
     */
    public int maxChunkTokens() {
        long widestView = Math.max(3L * embedDim, ffnDim);
        return (int) Math.min(MAX_ARRAY_VALUES / (3L * embedDim), MAX_VIEW_FLOATS / widestView);
    }

    /** The most floats the streaming state may hold at any position: layers x sum_i ceil(w_i/r_i) x 2E. */
    public long maxStateFloats() {
        return layers * schedule.maxKeptRowsPerLayer() * 2L * embedDim;
    }
}
