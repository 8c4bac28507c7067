package io.longnet.decoder;

import io.longnet.attention.AttentionState;

/**
 * A stream's decoder state: its next position and, per layer, the kept rows of the open segments. Made
 * durable by {@link io.longnet.state.KvPersistence}, append-only.
 */
public final class DecoderState {

    private final AttentionState[] layers;
    private long position;
    private long contextStart; // first position whose rows this state may keep: 0 unless the context restarted

    DecoderState(AttentionState[] layers) {
        this.layers = layers;
    }

    public long position() {
        return position;
    }

    /** The first stream position this state's context holds: 0, unless the stream's context was restarted. */
    public long contextStart() {
        return contextStart;
    }

    public AttentionState layer(int i) {
        return layers[i];
    }

    void advance(long tokens) {
        position = Math.addExact(position, tokens);
    }

    /** Back to {@code position}, before a failed forward pass (see {@link StreamingDecoder#rollBack}). */
    void rollBackTo(long position) {
        this.position = position;
    }

    /** Floats held as kept keys and values, all layers. Never above {@link ModelConfig#maxStateFloats()}. */
    public long keptFloats() {
        long sum = 0;
        for (AttentionState s : layers) {
            sum += s.keptFloats();
        }
        return sum;
    }

    public long keptBytes() {
        return 4 * keptFloats();
    }

    /**
     * Bytes this state holds in memory: the k/v buffers as allocated (they grow by doubling up to the
     * segment bound), so at least {@link #keptBytes()} and at most twice that or the bound.
     */
    /** An upper bound of {@link #heldBytes()} once a chunk of {@code tokens} tokens has been run. */
    public long heldBytesAfter(int tokens) {
        long sum = 0;
        for (AttentionState s : layers) {
            sum += s.heldFloatsAfter(tokens);
        }
        return 4 * sum;
    }

    public long heldBytes() {
        long sum = 0;
        for (AttentionState s : layers) {
            sum += s.heldFloats();
        }
        return 4 * sum;
    }

    /**
     * Moves a new, empty state to {@code position}, its context starting at {@code contextStart}: before its
     * kept rows are appended from durable state (which then holds exactly the rows kept from contextStart on),
     * or, with {@code contextStart == position}, to restart a stream's context there with nothing kept.
     */
    public void restorePosition(long contextStart, long position) {
        if (this.position != 0 || keptFloats() != 0) {
            throw new IllegalStateException("only a new, empty decoder state can be restored to a position; this one"
                    + " is at position " + this.position + " with " + keptFloats() + " kept floats");
        }
        if (contextStart < 0 || contextStart > position) {
            throw new IllegalArgumentException("a stream's context must start at a position in [0, " + position
                    + "], got " + contextStart);
        }
        this.contextStart = contextStart;
        this.position = position;
    }
}
