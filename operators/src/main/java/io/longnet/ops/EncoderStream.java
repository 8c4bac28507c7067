package io.longnet.ops;

import io.longnet.decoder.StreamingDecoder;
import io.longnet.state.KvPersistence;

/**
 * One stream's encoder state as plain data (no Flink): the streaming decoder, the feature row of the last
 * token encoded (its logits score the first token of the next chunk), and the position at which the stream's
 * durable state was last written.
 *
 * <p>What is durable is a {@link io.longnet.state.StreamMeta} and the k/v pieces of {@link KvPersistence};
 * {@link ChunkEncoder#persist} writes them and {@link ChunkEncoder#restore} reads them back into a stream that
 * encodes every later chunk bit for bit as this one would.
 */
public final class EncoderStream {

    private final StreamingDecoder decoder;
    private float[] lastFeatures; // [E]; null until the first chunk of the context
    private long writtenAt;       // position of the last durable write, or KvPersistence.NEVER_WRITTEN / STALE

    EncoderStream(StreamingDecoder decoder, float[] lastFeatures, long writtenAt) {
        this.decoder = decoder;
        this.lastFeatures = lastFeatures;
        this.writtenAt = writtenAt;
    }

    /** Stream position of the next token this stream expects. */
    public long position() {
        return decoder.position();
    }

    /** Whether the stream advanced since its durable state was last written. */
    public boolean dirty() {
        return writtenAt != decoder.position();
    }

    /**
     * Tokens encoded since the durable state was last written (all of the context when it never was): the next
     * write carries at most their rows.
     */
    public long unwrittenTokens() {
        long contextStart = decoder.state().contextStart();
        return decoder.position() - Math.max(writtenAt, contextStart);
    }

    /** Bytes of kept keys and values held by the decoder (the bounded part of the state). */
    public long stateBytes() {
        return decoder.stateBytes();
    }

    /** Bytes this stream holds in memory: its k/v buffers as allocated and its last feature row. */
    public long heldBytes() {
        return decoder.state().heldBytes() + (lastFeatures == null ? 0 : (long) Float.BYTES * lastFeatures.length);
    }

    /**
     * An upper bound of {@link #heldBytes()} once a chunk of {@code tokens} tokens has been encoded (its last feature
     * row included); at most {@link EncoderOperator#oneStreamBytes}.
     */
    public long heldBytesAfter(int tokens) {
        return decoder.state().heldBytesAfter(tokens) + (long) Float.BYTES * decoder.decoder().config().embedDim();
    }

    StreamingDecoder decoder() {
        return decoder;
    }

    float[] lastFeaturesRef() {
        return lastFeatures;
    }

    void setLastFeatures(float[] row) {
        this.lastFeatures = row;
    }

    long writtenAt() {
        return writtenAt;
    }

    void markWritten() {
        this.writtenAt = decoder.position();
    }
}
