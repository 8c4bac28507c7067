package io.longnet.compute;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs the items of one step of the decoder (attention heads, row ranges) on several threads, the caller's
 * included: each thread takes the next item until none is left, and the call returns when all are done.
 * The helpers come from one pool of daemon threads shared by every caller; they park between steps.
 */
public final class ParallelLoop {

    private static final ExecutorService HELPERS = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "longnet-compute");
        t.setDaemon(true);
        return t;
    });

    /** A pass over items [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private ParallelLoop() {
    }

    /**
     * Splits [0, count) into {@code threads} contiguous ranges of nearly equal size (fewer when count is
     * smaller) and runs body on each, one range per thread.
     */
    public static void forEachRange(int count, int threads, Range body) {
        int parts = Math.max(1, Math.min(threads, count));
        forEach(parts, parts, part -> body.run((int) ((long) count * part / parts),
                (int) ((long) count * (part + 1) / parts)));
    }

    /**
     * Runs body(i) for every i in [0, count) on up to {@code threads} threads. An exception a body throws is
     * rethrown here once every thread has stopped (the caller's own first).
     */
    public static void forEach(int count, int threads, IntConsumer body) {
        int used = Math.min(threads, count);
        if (used <= 1) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                body.accept(i);
            }
        };
        List<Future<?>> helpers = new ArrayList<>(used - 1);
        for (int t = 1; t < used; t++) {
            helpers.add(HELPERS.submit(worker));
        }
        RuntimeException failure = null;
        try {
            worker.run();
        } catch (RuntimeException e) {
            failure = e; // still wait for the helpers: they may be using what the caller is about to free
        }
        awaitAll(helpers, failure);
    }

    private static void awaitAll(List<Future<?>> helpers, RuntimeException callersFailure) {
        RuntimeException failure = callersFailure;
        for (Future<?> helper : helpers) {
            try {
                helper.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("interrupted while waiting for compute threads", e);
                }
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re
                            : new IllegalStateException("a compute thread failed", e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
