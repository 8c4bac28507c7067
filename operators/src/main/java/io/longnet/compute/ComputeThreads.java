package io.longnet.compute;

import java.util.Optional;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many threads one encoder's arithmetic may use (the dilated-attention kernel and ND4J's native ops).
 * A process-wide setting: every encoder of a TaskManager runs with the same job configuration, and
 * slots x threads must not exceed the cores, or the threads only take turns.
 *
 * <p>{@link #set} also applies the count to ND4J's native threads (its OpenMP loops and its own pool, which
 * run the element-wise ops and reductions) and to its BLAS (OpenBLAS: the gemms), so that one encoder uses
 * that many threads in every op. Given more than one thread, {@link #set} logs one warning per process when the
 * environment lets those native threads busy-wait between ops ({@link NativeThreadEnvironment}).
 */
public final class ComputeThreads {

    private static final Logger LOG = LoggerFactory.getLogger(ComputeThreads.class);

    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static boolean spinningWarned; // guarded by the class: set is synchronized

    private ComputeThreads() {
    }

    public static int get() {
        return threads;
    }

    /** @param count threads per encoder, in [1, 1024] */
    public static synchronized void set(int count) {
        if (count < 1 || count > 1024) {
            throw new IllegalArgumentException("compute threads must be in [1, 1024], got " + count);
        }
        Nd4j.getEnvironment().setMaxMasterThreads(count); // first: loads the backend that NativeOpsHolder needs
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(count);
        Nd4j.factory().blas().setMaxThreads(count);
        threads = count;
        if (!spinningWarned) {
            Optional<String> warning = NativeThreadEnvironment.warning(count, System.getenv());
            warning.ifPresent(w -> LOG.warn("{}", w));
            spinningWarned = warning.isPresent();
        }
    }

    /** The BLAS library's thread count as it reports it: equal to {@link #get()} once {@link #set} ran. */
    public static int blasThreads() {
        return Nd4j.factory().blas().getMaxThreads();
    }

    /** ND4J's native thread count (OpenMP) for its element-wise ops and reductions. */
    public static int nativeThreads() {
        Nd4j.getEnvironment(); // loads the backend that NativeOpsHolder needs
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }
}
