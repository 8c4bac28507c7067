package io.longnet.decoder;

import io.longnet.attention.AttentionState;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * A stream's decoder state: its next position and, per layer, the kept rows of the open segments. Written to
 * bytes (for RocksDB) with the config it belongs to, so that state is never read into a different model.
 */
public final class DecoderState {

    private static final int MAGIC = 0x4C4E5354; // "LNST"
    private static final int VERSION = 1;

    private final ModelConfig config;
    private final AttentionState[] layers;
    private long position;

    DecoderState(ModelConfig config, AttentionState[] layers) {
        this.config = config;
        this.layers = layers;
    }

    public long position() {
        return position;
    }

    AttentionState layer(int i) {
        return layers[i];
    }

    void advance(long tokens) {
        position = Math.addExact(position, tokens);
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

    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 64,
                    keptBytes() + 64 + 5L * layers.length * config.heads() * config.schedule().size()));
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(configChecksum(config));
            out.writeLong(position);
            for (AttentionState s : layers) {
                s.write(out);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces this state's contents with bytes written by {@link #toBytes()} for the same model config. */
    public void readFrom(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("decoder state bytes do not start with the LNST marker");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("decoder state version " + version + " is not supported");
            }
            if (in.readLong() != configChecksum(config)) {
                throw new IllegalArgumentException("decoder state was written for a different model config");
            }
            long pos = in.readLong();
            for (AttentionState s : layers) {
                s.read(in);
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("decoder state has " + in.available() + " trailing bytes");
            }
            position = pos;
        } catch (IOException e) {
            throw new IllegalArgumentException("decoder state bytes are truncated or corrupt: " + e.getMessage(), e);
        }
    }

    static long configChecksum(ModelConfig c) {
        CRC32 crc = new CRC32();
        crc.update(ModelConfigJson.toJson(c).getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }
}
