package io.longnet.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Writes tensors (F32 or I64) as a safetensors file, in the given order, header padded to 8 bytes. */
public final class SafetensorsWriter {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private SafetensorsWriter() {
    }

    public static void write(Path path, List<NamedTensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, metadata);
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            for (NamedTensor t : tensors) {
                writeData(out, t);
            }
        }
    }

    private static byte[] header(List<NamedTensor> tensors, Map<String, String> metadata) {
        ObjectNode root = MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (NamedTensor t : tensors) {
            if (!names.add(t.name()) || t.name().equals("__metadata__")) {
                throw new IllegalArgumentException("tensor name " + t.name() + " is used twice or reserved");
            }
            long bytes = (t.floats() != null ? t.floats().length : t.longs().length) * (long) t.dtype().bytes();
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", t.dtype().name());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            var offsets = entry.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + bytes);
            offset += bytes;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the format recommends an 8-byte aligned data section
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static void writeData(OutputStream out, NamedTensor t) throws IOException {
        final int block = 1 << 16;
        ByteBuffer buf = ByteBuffer.allocate(block * 8).order(ByteOrder.LITTLE_ENDIAN);
        int n = t.floats() != null ? t.floats().length : t.longs().length;
        for (int start = 0; start < n; start += block) {
            buf.clear();
            int end = Math.min(n, start + block);
            for (int i = start; i < end; i++) {
                if (t.floats() != null) {
                    buf.putFloat(t.floats()[i]);
                } else {
                    buf.putLong(t.longs()[i]);
                }
            }
            out.write(buf.array(), 0, buf.position());
        }
    }
}
