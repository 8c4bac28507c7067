package io.longnet.state;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The small, fixed-size part of a stream's encoder state (state format 2), written with every write of its
 * k/v pieces: which model wrote it, the stream position the pieces belong to, and the feature row of the
 * token before that position (it scores the next chunk's first token). Its size depends only on E.
 *
 * <p>Bytes: int magic "LNS2", int version, UTF model fingerprint, long context start, long position, int E'
 * (0 when position is the context start), then E' float32 (big-endian, as {@link DataOutputStream} writes).
 *
 * @param modelFingerprint the model whose k/v rows are stored
 * @param contextStart     first position of the stream's context: 0, unless it was restarted (a model change
 *                         with the reset option, or an input the encoder could not encode)
 * @param position         stream position of the next token; the stored rows are those this position keeps
 * @param lastFeatures     [E] feature row of position - 1; null exactly when position is the context start
 */
public record StreamMeta(String modelFingerprint, long contextStart, long position, float[] lastFeatures) {

    public static final int VERSION = 2;
    private static final int MAGIC = 0x4C4E5332; // "LNS2"

    public StreamMeta {
        if (modelFingerprint == null || modelFingerprint.isEmpty()) {
            throw new IllegalArgumentException("stream state needs the model fingerprint");
        }
        if (contextStart < 0 || contextStart > position || (position == contextStart) != (lastFeatures == null)) {
            throw new IllegalArgumentException("stream state at position " + position + " with its context from "
                    + contextStart + " has " + (lastFeatures == null ? "no" : "a")
                    + " last feature row; exactly a position at the context start has none");
        }
    }

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(modelFingerprint);
            out.writeLong(contextStart);
            out.writeLong(position);
            out.writeInt(lastFeatures == null ? 0 : lastFeatures.length);
            if (lastFeatures != null) {
                for (float f : lastFeatures) {
                    out.writeFloat(f);
                }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@link #toBytes()}; fails naming what is wrong (not this format, another version, truncated). */
    public static StreamMeta fromBytes(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int magic = in.readInt();
            if (magic != MAGIC) {
                throw new IllegalArgumentException(String.format("stream state does not start with the LNS2 marker "
                        + "(got 0x%08x): it was written by another state format", magic));
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("stream state version " + version + " is not supported (this "
                        + "build reads version " + VERSION + ")");
            }
            String fingerprint = in.readUTF();
            long contextStart = in.readLong();
            long position = in.readLong();
            int width = in.readInt();
            float[] last = width == 0 ? null : new float[width];
            for (int i = 0; i < width; i++) {
                last[i] = in.readFloat();
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("stream state has " + in.available() + " trailing bytes");
            }
            return new StreamMeta(fingerprint, contextStart, position, last);
        } catch (IOException e) {
            throw new IllegalArgumentException("stream state of " + data.length + " bytes is truncated or corrupt ("
                    + e + ")", e);
        }
    }
}
