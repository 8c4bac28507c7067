package io.longnet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The share of this machine's CPU time that the hypervisor gave to others while this one's CPUs wanted to run
 * ("steal" in Linux's {@code /proc/stat}), sampled over a run. On a shared virtual machine it is noise that
 * {@code top} and the load average do not show: runs whose tails coincided with seconds of 10 to 33% steal looked
 * like stalls of the job itself. {@link #sample()} a few times a second; {@link #share} over a window.
 */
public final class CpuSteal {

    private static final Path PROC_STAT = Path.of("/proc/stat");

    /** Cumulative jiffies of all CPUs at a wall-clock time (ms): those stolen, and all of them. */
    record Sample(long atMillis, long stolen, long all) {
    }

    private final List<Sample> samples = new ArrayList<>();

    /** Notes the counters now; does nothing where {@code /proc/stat} cannot be read (not Linux). */
    public void sample() {
        try {
            parse(Files.readString(PROC_STAT)).ifPresent(jiffies ->
                    add(new Sample(System.currentTimeMillis(), jiffies[0], jiffies[1])));
        } catch (IOException | RuntimeException e) {
            // no figure rather than a failed bench: the steal only explains the other figures
        }
    }

    synchronized void add(Sample sample) {
        samples.add(sample);
    }

    /**
     * The stolen share of the CPU time between the first and the last sample within [from, to] (wall clock, ms);
     * empty with fewer than two samples there.
     */
    public synchronized OptionalDouble share(long from, long to) {
        Sample first = null;
        Sample last = null;
        for (Sample s : samples) {
            if (s.atMillis() >= from && s.atMillis() <= to) {
                first = first == null ? s : first;
                last = s;
            }
        }
        if (first == null || last.all() <= first.all()) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of((double) (last.stolen() - first.stolen()) / (last.all() - first.all()));
    }

    /**
     * {stolen, all} jiffies from the {@code cpu} line of {@code /proc/stat} ("cpu user nice system idle iowait irq
     * softirq steal guest guest_nice"; guest time is already counted in user and nice); empty when the line is
     * missing or has no steal column (kernels before 2.6.11).
     */
    static Optional<long[]> parse(String procStat) {
        for (String line : procStat.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields[0].equals("cpu") && fields.length >= 9) {
                long all = 0;
                for (int i = 1; i <= 8; i++) {
                    all += Long.parseLong(fields[i]);
                }
                return Optional.of(new long[] {Long.parseLong(fields[8]), all});
            }
        }
        return Optional.empty();
    }
}
