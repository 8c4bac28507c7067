package io.longnet.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Writes tensors (F32, BF16 or I64) held in memory as a safetensors file, in the given order, header padded to 8 bytes. */
public final class SafetensorsWriter {

    private SafetensorsWriter() {
    }

    public static void write(Path path, List<NamedTensor> tensors, Map<String, String> metadata) throws IOException {
        List<SafetensorsStreamWriter.Entry> entries = tensors.stream()
                .map(t -> new SafetensorsStreamWriter.Entry(t.name(), t.dtype(), t.shape())).toList();
        try (SafetensorsStreamWriter out = SafetensorsStreamWriter.create(path, entries, metadata)) {
            for (NamedTensor t : tensors) {
                if (t.bf16()) {
                    out.appendBf16(t.name(), t.floats(), 0, t.floats().length);
                } else if (t.floats() != null) {
                    out.append(t.name(), t.floats(), 0, t.floats().length);
                } else {
                    out.append(t.name(), t.longs(), 0, t.longs().length);
                }
            }
        }
    }
}
