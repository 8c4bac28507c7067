package io.longnet.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: 8-byte little-endian header length, a JSON header, raw
 * little-endian data. The whole header is validated when the file is opened (lengths, dtypes, shapes,
 * offsets in range and not overlapping) so that no read ever allocates from an unchecked value.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The format's own cap on the header; a larger header length is a corrupt or hostile file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot open safetensors file " + path + ": " + e, e);
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw error(path, "is truncated: " + fileSize + " bytes, shorter than the 8-byte header length");
            }
            long headerLength = readBuffer(channel, 0, 8).getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
                throw error(path, "has header length " + headerLength + " but the file has " + fileSize
                        + " bytes (header must be 2.." + Math.min(MAX_HEADER_BYTES, fileSize - 8) + ")");
            }
            ByteBuffer header = readBuffer(channel, 8, (int) headerLength);
            long dataStart = 8 + headerLength;
            Map<String, TensorInfo> tensors = parseHeader(path, header, fileSize - dataStart);
            return new SafetensorsFile(path, channel, dataStart, tensors);
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("cannot read safetensors file " + path + ": " + e, e);
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path path, ByteBuffer header, long dataSize) {
        JsonNode root;
        try {
            root = MAPPER.readTree(StandardCharsets.UTF_8.decode(header).toString());
        } catch (IOException e) {
            throw error(path, "has a header that is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw error(path, "has a header that is not a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("__metadata__")) {
                tensors.put(e.getKey(), parseEntry(path, e.getKey(), e.getValue(), dataSize));
            }
        }
        checkNoOverlap(path, tensors.values());
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode entry, long dataSize) {
        if (!entry.isObject()) {
            throw error(path, "tensor " + name + ": header entry is not an object");
        }
        DType dtype = DType.parse(entry.path("dtype").asText(""));
        if (dtype == null) {
            throw error(path, "tensor " + name + " has dtype " + entry.get("dtype")
                    + ", expected one of F32, F16, BF16, I64");
        }
        JsonNode shapeNode = entry.get("shape");
        JsonNode offsets = entry.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw error(path, "tensor " + name + " has no shape list");
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw error(path, "tensor " + name + " has data_offsets " + offsets + ", expected [begin, end]");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw error(path, "tensor " + name + " has shape " + shapeNode + " with an invalid dimension");
            }
            shape[i] = d.longValue();
        }
        long begin = offsets.get(0).longValue();
        long end = offsets.get(1).longValue();
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(info.elementCount(), dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw error(path, "tensor " + name + " has shape " + shapeNode + " too large to address");
        }
        if (begin < 0 || end < begin || end > dataSize) {
            throw error(path, "tensor " + name + " has data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataSize + " bytes");
        }
        if (end - begin != expectedBytes) {
            throw error(path, "tensor " + name + " has data_offsets [" + begin + ", " + end + "] spanning "
                    + (end - begin) + " bytes, but shape " + shapeNode + " of " + dtype + " needs " + expectedBytes);
        }
        return info;
    }

    private static void checkNoOverlap(Path path, Iterable<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>();
        infos.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw error(path, "tensor " + cur.name() + " at [" + cur.begin() + ", " + cur.end()
                        + "] overlaps tensor " + prev.name() + " at [" + prev.begin() + ", " + prev.end() + "]");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Every tensor's header entry, in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw error(path, "has no tensor " + name);
        }
        return info;
    }

    /** Reads a floating-point tensor (F32, F16 or BF16), widened to float32, row-major. */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isFloat()) {
            throw error(path, "tensor " + name + " has dtype " + info.dtype() + ", expected F32, F16 or BF16");
        }
        int n = checkedCount(info);
        ByteBuffer buf = read(info);
        float[] out = new float[n]; // [elementCount]
        switch (info.dtype()) {
            case F32 -> buf.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = halfToFloat(buf.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
                }
            }
            default -> throw new IllegalStateException(info.dtype().name());
        }
        return out;
    }

    /** Reads an I64 tensor, row-major. */
    public long[] readLongs(String name) {
        TensorInfo info = info(name);
        if (info.dtype() != DType.I64) {
            throw error(path, "tensor " + name + " has dtype " + info.dtype() + ", expected I64");
        }
        long[] out = new long[checkedCount(info)]; // [elementCount]
        read(info).asLongBuffer().get(out);
        return out;
    }

    /**
     * Reads {@code count} values of an I64 tensor from row-major element {@code start} on, so that a tensor of
     * any size can be read piece by piece.
     */
    public long[] readLongs(String name, long start, int count) {
        TensorInfo info = info(name);
        if (info.dtype() != DType.I64) {
            throw error(path, "tensor " + name + " has dtype " + info.dtype() + ", expected I64");
        }
        if (start < 0 || count < 0 || count > (Integer.MAX_VALUE - 8) / 8 || start > info.elementCount() - count) {
            throw new IllegalArgumentException("elements [" + start + ", " + start + " + " + count + ") of tensor "
                    + name + " are outside its " + info.elementCount() + " elements (or more than one read holds)");
        }
        long[] out = new long[count]; // [count]
        try {
            readBuffer(channel, dataStart + info.begin() + start * 8, count * 8).asLongBuffer().get(out);
        } catch (IOException e) {
            throw error(path, "tensor " + name + " could not be read: " + e);
        }
        return out;
    }

    /** IEEE 754 binary16 to float32, exactly (Float.float16ToFloat needs Java 20). */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) { // infinity or NaN
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** The element count of a tensor read whole: its bytes must fit one buffer, its values one array. */
    private int checkedCount(TensorInfo info) {
        long n = info.elementCount();
        if (n > (Integer.MAX_VALUE - 8) / info.dtype().bytes()) {
            throw error(path, "tensor " + info.name() + " has " + n + " elements (" + n * info.dtype().bytes()
                    + " bytes), more than one read can hold (" + (Integer.MAX_VALUE - 8) + " bytes)");
        }
        return (int) n;
    }

    private ByteBuffer read(TensorInfo info) {
        try {
            return readBuffer(channel, dataStart + info.begin(), (int) (info.end() - info.begin()));
        } catch (IOException e) {
            throw error(path, "tensor " + info.name() + " could not be read: " + e);
        }
    }

    private static ByteBuffer readBuffer(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buf.position()));
            }
        }
        return buf.flip();
    }

    private static IllegalArgumentException error(Path path, String message) {
        return new IllegalArgumentException("safetensors file " + path + " " + message);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new IllegalStateException("closing " + path, e);
        }
    }
}
