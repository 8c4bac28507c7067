package io.longnet.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The flags of {@code longnet run} that are not job options: they set up the local Flink, not the job.
 *
 * @param parallelism   {@code --parallelism N}, default 1
 * @param fresh         {@code --fresh}: start without the job's checkpoints (they are moved aside, not deleted)
 * @param fromSavepoint {@code --from-savepoint PATH}: restore from this savepoint instead
 * @param webUiPort     {@code --web-ui-port P}: serve Flink's web UI and REST API on this port
 * @param metricsPort   {@code --metrics-port P}: serve the metrics for Prometheus on this port
 * @param jobArguments  everything else, for {@link io.longnet.job.JobArguments}
 */
record RunFlags(int parallelism, boolean fresh, Optional<Path> fromSavepoint, OptionalInt webUiPort,
                OptionalInt metricsPort, List<String> jobArguments) {

    RunFlags {
        if (parallelism < 1) {
            throw new Args.UsageException("run: --parallelism must be a positive integer, got " + parallelism);
        }
        if (fresh && fromSavepoint.isPresent()) {
            throw new Args.UsageException("run: --fresh and --from-savepoint " + fromSavepoint.get()
                    + " exclude each other (a savepoint restore already sets the job's checkpoints aside)");
        }
        jobArguments = List.copyOf(jobArguments);
    }

    static RunFlags parse(List<String> argv) {
        List<String> rest = new ArrayList<>(argv);
        boolean fresh = rest.remove("--fresh");
        int parallelism = take(rest, "--parallelism").map(v -> positive("--parallelism", v)).orElse(1);
        Optional<Path> savepoint = take(rest, "--from-savepoint").map(Path::of);
        OptionalInt webUi = port(take(rest, "--web-ui-port"), "--web-ui-port");
        OptionalInt metrics = port(take(rest, "--metrics-port"), "--metrics-port");
        if (webUi.isPresent() && webUi.equals(metrics)) {
            throw new Args.UsageException("run: --web-ui-port and --metrics-port are both " + webUi.getAsInt());
        }
        return new RunFlags(parallelism, fresh, savepoint, webUi, metrics, rest);
    }

    /** Removes {@code flag value} from {@code args} and returns the value. */
    private static Optional<String> take(List<String> args, String flag) {
        int i = args.indexOf(flag);
        if (i < 0) {
            return Optional.empty();
        }
        if (i + 1 >= args.size()) {
            throw new Args.UsageException("run: " + flag + " needs a value");
        }
        String value = args.get(i + 1);
        args.subList(i, i + 2).clear();
        return Optional.of(value);
    }

    private static int positive(String flag, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new Args.UsageException("run: " + flag + " must be a positive integer, got \"" + value + "\"");
    }

    private static OptionalInt port(Optional<String> value, String flag) {
        if (value.isEmpty()) {
            return OptionalInt.empty();
        }
        int port = positive(flag, value.get());
        if (port > 65535) {
            throw new Args.UsageException("run: " + flag + " must be a TCP port (1..65535), got " + port);
        }
        return OptionalInt.of(port);
    }
}
