package io.longnet.decoder;

/**
 * One stream fed chunk by chunk: any chunking gives the features and logits of one full causal forward pass
 * over the whole sequence (spec section 7), while holding only the open segments' kept rows.
 */
public final class StreamingDecoder {

    private final LongNetDecoder decoder;
    private final DecoderState state;

    public StreamingDecoder(LongNetDecoder decoder) {
        this.decoder = decoder;
        this.state = decoder.newState();
    }

    /** The chunk's features [n, E] and logits [n, V]. */
    public DecoderOutput accept(int[] tokens) {
        return decoder.forward(tokens, state, true);
    }

    /** The chunk's features [n, E] and, when asked, logits [n, V]. */
    public DecoderOutput accept(int[] tokens, boolean computeLogits) {
        return decoder.forward(tokens, state, computeLogits);
    }

    public long position() {
        return state.position();
    }

    /** The state this decoder advances; what {@link io.longnet.state.KvPersistence} writes and restores. */
    public DecoderState state() {
        return state;
    }

    /** Bytes held as kept keys and values; at most layers x sum_i ceil(w_i/r_i) x 2E floats. */
    public long stateBytes() {
        return state.keptBytes();
    }

    public LongNetDecoder decoder() {
        return decoder;
    }
}
