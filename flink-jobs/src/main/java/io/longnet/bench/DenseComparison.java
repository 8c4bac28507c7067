package io.longnet.bench;

import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import java.util.ArrayList;
import java.util.List;

/**
 * The paper's Figure 5 on this machine: runtime of the dilated-attention kernel against dense causal attention
 * (one branch, w = N, r = 1: every position sees every earlier one) for growing sequence lengths N, both through
 * the same kernel. A run expected to take longer than {@code maxSeconds} is not made: its time is estimated from
 * the largest measured N of the same kind, scaled by the ratio of useful FLOPs (quadratic for dense, about linear
 * for dilated beyond the largest segment).
 */
public final class DenseComparison {

    /** One point: seconds measured, or estimated when {@code estimated}. */
    public record Point(int n, double seconds, boolean estimated) {
    }

    /** Dilated and dense points for the same lengths, shortest first. */
    public record Result(List<Point> dilated, List<Point> dense) {
    }

    private final DilationSchedule schedule;
    private final int heads;
    private final int headDim;
    private final double maxSeconds;

    public DenseComparison(DilationSchedule schedule, int heads, int headDim, double maxSeconds) {
        this.schedule = schedule;
        this.heads = heads;
        this.headDim = headDim;
        this.maxSeconds = maxSeconds;
    }

    /** @param lengths sequence lengths, ascending */
    public Result run(List<Integer> lengths) {
        List<Point> dilated = new ArrayList<>();
        List<Point> dense = new ArrayList<>();
        for (int n : lengths) {
            dilated.add(measureOrEstimate(new AttentionBench(schedule, heads, headDim), n, dilated));
            DilationSchedule full = DilationSchedule.of(List.of(n), List.of(1), HeadOffsetRule.GROUPED);
            dense.add(measureOrEstimate(new AttentionBench(full, heads, headDim), n, dense));
        }
        return new Result(dilated, dense);
    }

    private Point measureOrEstimate(AttentionBench bench, int n, List<Point> earlier) {
        Point last = earlier.stream().filter(p -> !p.estimated()).reduce((a, b) -> b).orElse(null);
        if (last != null) {
            // for dense at N, positions [0, m < N) are the dense attention of length m: one segment either way
            double expected = last.seconds() * bench.flops(n) / bench.flops(last.n());
            if (expected > maxSeconds) {
                return new Point(n, expected, true);
            }
        }
        return new Point(n, bench.onePassSeconds(n), false);
    }
}
