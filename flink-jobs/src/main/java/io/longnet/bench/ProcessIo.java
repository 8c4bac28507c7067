package io.longnet.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's I/O counters from Linux's {@code /proc/self/io}. */
public final class ProcessIo {

    private static final Path IO = Path.of("/proc/self/io");

    private ProcessIo() {
    }

    /** {@code write_bytes}: bytes this process caused to be written to storage (page cache included). */
    public static long writeBytes() {
        try {
            for (String line : Files.readAllLines(IO)) {
                if (line.startsWith("write_bytes:")) {
                    return Long.parseLong(line.substring("write_bytes:".length()).trim());
                }
            }
            throw new IllegalStateException(IO + " has no write_bytes line");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + IO + " (Linux only)", e);
        }
    }
}
