package io.longnet.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file piece by piece: the header (every tensor's dtype and shape, hence its place in the
 * file) when created, then each tensor's values appended in row-major order, tensors interleaved in any order.
 * Every offset is a long, so a tensor may be larger than memory and than 2^31 elements. {@link #close} checks
 * that every tensor got all its values and deletes the file when one did not.
 */
public final class SafetensorsStreamWriter implements AutoCloseable {

    /** One tensor of the file: F32, BF16 or I64, row-major {@code shape}. */
    public record Entry(String name, DType dtype, long[] shape) {

        public Entry {
            if (dtype == DType.F16) {
                throw new IllegalArgumentException("tensor " + name + ": only F32, BF16 and I64 are written, got " + dtype);
            }
            shape = shape.clone();
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("tensor " + name + " has negative dimension in "
                            + Arrays.toString(shape));
                }
            }
        }

        /** Row-major element count; an ArithmeticException when it exceeds a long. */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        public long bytes() {
            return Math.multiplyExact(elements(), (long) dtype.bytes());
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int BLOCK_BYTES = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, Long> start = new LinkedHashMap<>();   // first byte of each tensor in the file
    private final Map<String, Long> written = new LinkedHashMap<>(); // values appended so far
    private final ByteBuffer block = ByteBuffer.allocate(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsStreamWriter(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Creates (or replaces) {@code path} holding {@code tensors} in this order, their values still to come. */
    public static SafetensorsStreamWriter create(Path path, List<Entry> tensors, Map<String, String> metadata)
            throws IOException {
        byte[] header = header(tensors, metadata);
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        SafetensorsStreamWriter w = new SafetensorsStreamWriter(path, channel);
        long at = 8L + header.length;
        for (Entry e : tensors) {
            w.entries.put(e.name(), e);
            w.start.put(e.name(), at);
            w.written.put(e.name(), 0L);
            at += e.bytes();
        }
        ByteBuffer lead = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        lead.putLong(header.length).put(header).flip();
        try {
            w.writeAt(lead, 0);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return w;
    }

    /** Appends {@code values[from, from + count)} to F32 tensor {@code name}. */
    public void append(String name, float[] values, int from, int count) throws IOException {
        long at = reserve(name, DType.F32, count);
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, BLOCK_BYTES / 4);
            block.clear();
            block.asFloatBuffer().put(values, from + done, n);
            block.limit(n * 4);
            writeAt(block, at + done * 4L);
            done += n;
        }
    }

    /** Appends {@code values[from, from + count)}, rounded to nearest BF16 (ties to even), to BF16 tensor {@code name}. */
    public void appendBf16(String name, float[] values, int from, int count) throws IOException {
        long at = reserve(name, DType.BF16, count);
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, BLOCK_BYTES / 2);
            block.clear();
            java.nio.ShortBuffer shorts = block.asShortBuffer();
            for (int i = 0; i < n; i++) {
                shorts.put(i, toBf16(values[from + done + i]));
            }
            block.limit(n * 2);
            writeAt(block, at + done * 2L);
            done += n;
        }
    }

    /** The BF16 nearest to x (ties to even); NaN stays a quiet NaN. */
    static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Appends {@code values[from, from + count)} to I64 tensor {@code name}. */
    public void append(String name, long[] values, int from, int count) throws IOException {
        long at = reserve(name, DType.I64, count);
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, BLOCK_BYTES / 8);
            block.clear();
            block.asLongBuffer().put(values, from + done, n);
            block.limit(n * 8);
            writeAt(block, at + done * 8L);
            done += n;
        }
    }

    /** The file position for {@code count} more values of {@code name}, which are then counted as written. */
    private long reserve(String name, DType dtype, int count) {
        Entry e = entries.get(name);
        if (e == null || e.dtype() != dtype) {
            throw new IllegalArgumentException(path + " has no " + dtype + " tensor " + name);
        }
        long done = written.get(name);
        if (count < 0 || count > e.elements() - done) {
            throw new IllegalArgumentException("tensor " + name + " " + Arrays.toString(e.shape()) + " has "
                    + e.elements() + " values; " + done + " are written, " + count + " more do not fit");
        }
        written.put(name, done + count);
        return start.get(name) + done * dtype.bytes();
    }

    private void writeAt(ByteBuffer buf, long position) throws IOException {
        for (long at = position; buf.hasRemaining(); ) {
            at += channel.write(buf, at);
        }
    }

    /** Closes the file; if a tensor is short of values, deletes it and says which. */
    @Override
    public void close() throws IOException {
        channel.close();
        for (Entry e : entries.values()) {
            long done = written.get(e.name());
            if (done != e.elements()) {
                Files.deleteIfExists(path);
                throw new IOException(path + " deleted: tensor " + e.name() + " " + Arrays.toString(e.shape())
                        + " got " + done + " of its " + e.elements() + " values");
            }
        }
    }

    private static byte[] header(List<Entry> tensors, Map<String, String> metadata) {
        ObjectNode root = MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry t : tensors) {
            if (root.has(t.name()) || t.name().equals("__metadata__")) {
                throw new IllegalArgumentException("tensor name " + t.name() + " is used twice or reserved");
            }
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", t.dtype().name());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            var offsets = entry.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + t.bytes());
            offset += t.bytes();
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the format recommends an 8-byte aligned data section
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }
}
