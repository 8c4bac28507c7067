package io.longnet.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One job's retained checkpoints on a local file system, laid out as Flink's file-system checkpoint storage
 * writes them: {@code ROOT/<job id>/chk-N/_metadata}. A checkpoint is complete once its {@code _metadata} file
 * exists (Flink writes it last); a process killed during a checkpoint leaves a {@code chk-N} without one, or, on
 * a file system that loses unsynced writes, one that does not load, so callers check that it loads too.
 *
 * <p>{@code longnet run} gives its job a fixed id, {@link #jobId(String)}, so that a restarted process finds the
 * checkpoints of the one before it.
 */
public final class CheckpointDirectory {

    static final String METADATA = "_metadata";
    static final String SET_ASIDE = ".set-aside-";

    private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path root;
    private final String jobId;

    /**
     * A completed checkpoint.
     *
     * @param id      Flink's checkpoint id, N of {@code chk-N}
     * @param dir     the {@code chk-N} directory, what Flink restores from
     * @param written when its metadata file was last modified (the checkpoint's completion)
     */
    public record Checkpoint(long id, Path dir, Instant written) {

        public Path metadata() {
            return dir.resolve(METADATA);
        }
    }

    /**
     * @param root  the checkpoint directory (setting checkpoint-dir), holding one directory per job id
     * @param jobId the job's id, 32 hex digits
     */
    public CheckpointDirectory(Path root, String jobId) {
        if (root == null) {
            throw new IllegalArgumentException("checkpoint directory must be set");
        }
        if (jobId == null || !jobId.matches("[0-9a-f]{32}")) {
            throw new IllegalArgumentException("job id must be 32 lower-case hex digits, got " + jobId);
        }
        this.root = root;
        this.jobId = jobId;
    }

    /**
     * The job id of {@code longnet run} for this transactional-id prefix: the prefix already names one job on
     * the Kafka cluster and must stay the same across its restarts, so it names its checkpoints too.
     */
    public static String jobId(String transactionalIdPrefix) {
        UUID id = UUID.nameUUIDFromBytes(("longnet run " + transactionalIdPrefix).getBytes(StandardCharsets.UTF_8));
        return String.format("%016x%016x", id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    public String jobId() {
        return jobId;
    }

    /** {@code ROOT/<job id>}: where Flink writes this job's checkpoints. */
    public Path jobDir() {
        return root.resolve(jobId);
    }

    /**
     * The checkpoints with a metadata file, newest (highest id) first. A running job deletes subsumed checkpoints
     * while this lists them: one that is gone before its metadata's time is read is left out, not an error.
     */
    public List<Checkpoint> completed() {
        if (!Files.isDirectory(jobDir())) {
            return List.of();
        }
        List<Checkpoint> found = new ArrayList<>();
        try (Stream<Path> entries = Files.list(jobDir())) {
            for (Path dir : entries.toList()) {
                Matcher name = CHECKPOINT.matcher(dir.getFileName().toString());
                Path metadata = dir.resolve(METADATA);
                if (name.matches() && Files.isRegularFile(metadata)) {
                    try {
                        found.add(new Checkpoint(Long.parseLong(name.group(1)), dir,
                                Files.getLastModifiedTime(metadata).toInstant()));
                    } catch (NoSuchFileException subsumed) {
                        // deleted since it was listed: no longer a checkpoint
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + jobDir() + ": " + e.getMessage(), e);
        }
        found.sort(Comparator.comparingLong(Checkpoint::id).reversed());
        return found;
    }

    /**
     * The newest completed checkpoint whose metadata {@code loads}; each newer one that does not is passed to
     * {@code skipped}.
     */
    public Optional<Checkpoint> newest(Predicate<Checkpoint> loads, Consumer<Checkpoint> skipped) {
        for (Checkpoint checkpoint : completed()) {
            if (loads.test(checkpoint)) {
                return Optional.of(checkpoint);
            }
            skipped.accept(checkpoint);
        }
        return Optional.empty();
    }

    /**
     * Renames the job's directory to {@code ROOT/<job id>.set-aside-<UTC time>}, where no restart looks, so that
     * the job starts without its checkpoints while nothing is deleted. Empty if the job has no directory.
     */
    public Optional<Path> moveAside(Instant now) {
        if (!Files.exists(jobDir())) {
            return Optional.empty();
        }
        Path target = root.resolve(jobId + SET_ASIDE + STAMP.format(now));
        for (int n = 2; Files.exists(target); n++) {
            target = root.resolve(jobId + SET_ASIDE + STAMP.format(now) + "-" + n);
        }
        try {
            return Optional.of(Files.move(jobDir(), target));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + jobDir() + " aside to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code path} lies inside this job's directory. */
    public boolean contains(Path path) {
        return path.toAbsolutePath().normalize().startsWith(jobDir().toAbsolutePath().normalize());
    }
}
