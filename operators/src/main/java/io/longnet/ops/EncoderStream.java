package io.longnet.ops;

import io.longnet.decoder.StreamingDecoder;

/**
 * One stream's encoder state as plain data (no Flink): the streaming decoder and the feature row of the
 * last token encoded, whose logits score the first token of the next chunk.
 *
 * <p>What is durable is exactly {@link #decoderSnapshot()} and {@link #lastFeatures()}; restoring them with
 * {@link ChunkEncoder#restore} gives a stream that encodes every later chunk bit for bit as this one would.
 */
public final class EncoderStream {

    private final StreamingDecoder decoder;
    private float[] lastFeatures; // [E]; null until the first chunk

    EncoderStream(StreamingDecoder decoder, float[] lastFeatures) {
        this.decoder = decoder;
        this.lastFeatures = lastFeatures;
    }

    /** Stream position of the next token this stream expects. */
    public long position() {
        return decoder.position();
    }

    public byte[] decoderSnapshot() {
        return decoder.snapshot();
    }

    /** Feature row {@code [E]} of the last token encoded (position - 1), or null at position 0. */
    public float[] lastFeatures() {
        return lastFeatures == null ? null : lastFeatures.clone();
    }

    /** Bytes of kept keys and values held by the decoder (the bounded part of the state). */
    public long stateBytes() {
        return decoder.stateBytes();
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
}
