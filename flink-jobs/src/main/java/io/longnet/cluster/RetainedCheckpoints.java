package io.longnet.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The checkpoints a cluster keeps in its checkpoint directory ({@code DIR/JOB-ID/chk-N/_metadata}). A checkpoint
 * is complete once its {@code _metadata} exists; one being written when its JobManager died has none and is
 * skipped. The newest complete one is where a job continues after its JobManager is lost (a session cluster
 * without high availability forgets its jobs): resubmitted from it, every stream continues exactly where the
 * committed outputs end.
 */
public final class RetainedCheckpoints {

    static final String METADATA = "_metadata";

    private RetainedCheckpoints() {
    }

    /** The newest complete checkpoint under {@code checkpointsDir} of any job, by its metadata's time. */
    public static Optional<Path> newest(Path checkpointsDir) {
        if (!Files.isDirectory(checkpointsDir)) {
            throw new IllegalArgumentException("checkpoint directory " + checkpointsDir + " does not exist");
        }
        try (Stream<Path> metadata = Files.find(checkpointsDir, 3, (path, attrs) -> attrs.isRegularFile()
                && path.getFileName().toString().equals(METADATA)
                && path.getParent().getFileName().toString().startsWith("chk-"))) {
            return metadata.max(Comparator.comparing(RetainedCheckpoints::modified)).map(Path::getParent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + checkpointsDir + ": " + e, e);
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
