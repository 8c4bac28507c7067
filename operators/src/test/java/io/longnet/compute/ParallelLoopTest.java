package io.longnet.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelLoopTest {

    @Test
    void everyIndexRunsExactlyOnceOnUpToTheThreadsAsked() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            for (int count : new int[] {0, 1, 2, 7, 100}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(count);
                Set<Thread> used = ConcurrentHashMap.newKeySet();
                ParallelLoop.forEach(count, threads, i -> {
                    runs.incrementAndGet(i);
                    used.add(Thread.currentThread());
                    sleepBriefly(); // gives the helpers time to take indices too
                });
                for (int i = 0; i < count; i++) {
                    assertThat(runs.get(i)).as("threads %d count %d index %d", threads, count, i).isEqualTo(1);
                }
                assertThat(used.size()).isLessThanOrEqualTo(Math.max(1, Math.min(threads, count)));
            }
        }
    }

    @Test
    void rangesCoverEveryItemOnceInContiguousPartsOfNearlyEqualSize() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            for (int count : new int[] {0, 1, 2, 7, 100}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(count);
                Set<Integer> sizes = ConcurrentHashMap.newKeySet();
                ParallelLoop.forEachRange(count, threads, (from, to) -> {
                    sizes.add(to - from);
                    for (int i = from; i < to; i++) {
                        runs.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < count; i++) {
                    assertThat(runs.get(i)).as("threads %d count %d item %d", threads, count, i).isEqualTo(1);
                }
                assertThat(sizes.stream().mapToInt(Integer::intValue).max().orElse(0)
                        - sizes.stream().mapToInt(Integer::intValue).min().orElse(0)).isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void aHelpersExceptionIsRethrownAfterEveryThreadStopped() {
        AtomicIntegerArray runs = new AtomicIntegerArray(40);
        Thread caller = Thread.currentThread();
        CountDownLatch helperRan = new CountDownLatch(1);
        assertThatThrownBy(() -> ParallelLoop.forEach(40, 2, i -> {
            runs.incrementAndGet(i);
            if (Thread.currentThread() != caller) {
                helperRan.countDown();
                throw new IllegalArgumentException("helper failed at " + i);
            }
            awaitQuietly(helperRan); // the caller's first index waits until the helper has taken one
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("helper failed");
        int total = 0;
        for (int i = 0; i < 40; i++) {
            total += runs.get(i);
        }
        assertThat(total).as("the caller went on with the other indices").isEqualTo(40);
    }

    /**
     * The caller's body throws while a helper's is still running: the caller's exception comes out (not the
     * helper's later one), and only once the helper has stopped (it finishes only when the caller is blocked
     * waiting for it, so a loop that rethrew at once would see it unfinished).
     */
    @Test
    void theCallersOwnExceptionIsRethrownOnceTheHelpersStopped() {
        Thread caller = Thread.currentThread();
        CountDownLatch helperStarted = new CountDownLatch(1);
        CountDownLatch callerFailing = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean helperDone = new java.util.concurrent.atomic.AtomicBoolean();
        assertThatThrownBy(() -> ParallelLoop.forEach(2, 2, i -> {
            if (Thread.currentThread() == caller) {
                awaitQuietly(helperStarted);
                callerFailing.countDown();
                throw new IllegalStateException("caller failed at " + i);
            }
            helperStarted.countDown();
            awaitQuietly(callerFailing);
            while (caller.getState() != Thread.State.WAITING && caller.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait(); // until the caller waits for this helper
            }
            helperDone.set(true);
            throw new IllegalArgumentException("helper failed at " + i);
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("caller failed");
        assertThat(helperDone).as("the helper had stopped when the caller's exception came out").isTrue();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            assertThat(latch.await(30, TimeUnit.SECONDS)).as("a helper took an index").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
