package io.longnet.model;

import java.util.ArrayList;
import java.util.List;

/** The branches of dilated attention, paired in order, and the head offset rule (spec sections 1-2). */
public record DilationSchedule(List<Branch> branches, HeadOffsetRule offsetRule) {

    public DilationSchedule {
        if (branches == null || branches.isEmpty()) {
            throw new IllegalArgumentException("segment_length and dilated_ratio must not be empty");
        }
        if (offsetRule == null) {
            throw new IllegalArgumentException("head offset rule must be set");
        }
        branches = List.copyOf(branches);
    }

    /** Pairs the two torchscale config lists in order, rejecting lists of different length (named by key). */
    public static DilationSchedule of(List<Integer> segmentLength, List<Integer> dilatedRatio, HeadOffsetRule rule) {
        if (segmentLength == null || dilatedRatio == null || segmentLength.isEmpty() || dilatedRatio.isEmpty()) {
            throw new IllegalArgumentException("segment_length " + segmentLength + " and dilated_ratio "
                    + dilatedRatio + " must both be non-empty");
        }
        if (segmentLength.size() != dilatedRatio.size()) {
            throw new IllegalArgumentException("segment_length has " + segmentLength.size()
                    + " entries " + segmentLength + " but dilated_ratio has " + dilatedRatio.size()
                    + " entries " + dilatedRatio);
        }
        List<Branch> branches = new ArrayList<>();
        for (int i = 0; i < segmentLength.size(); i++) {
            branches.add(new Branch(segmentLength.get(i), dilatedRatio.get(i)));
        }
        return new DilationSchedule(branches, rule);
    }

    public int size() {
        return branches.size();
    }

    public Branch branch(int i) {
        return branches.get(i);
    }

    public List<Integer> segmentLengths() {
        return branches.stream().map(Branch::segmentLength).toList();
    }

    public List<Integer> dilatedRatios() {
        return branches.stream().map(Branch::dilatedRatio).toList();
    }

    /** First kept local row of {@code head} in branch {@code branchIndex}. */
    public int offset(int branchIndex, int head, int heads) {
        return offsetRule.offset(head, heads, branch(branchIndex).dilatedRatio());
    }

    /** sum_i ceil(w_i / r_i): the kept rows per head-width column of one layer's open segments, at most. */
    public long maxKeptRowsPerLayer() {
        long sum = 0;
        for (Branch b : branches) {
            sum += b.maxKeptRows();
        }
        return sum;
    }
}
