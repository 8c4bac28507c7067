package io.longnet.model;

/**
 * One dilated-attention branch: segments of {@code segmentLength} positions, each head keeping every
 * {@code dilatedRatio}-th row of a segment (spec section 2).
 */
public record Branch(int segmentLength, int dilatedRatio) {

    public Branch {
        if (segmentLength <= 0) {
            throw new IllegalArgumentException("segment_length entries must be positive, got " + segmentLength);
        }
        if (dilatedRatio <= 0) {
            throw new IllegalArgumentException("dilated_ratio entries must be positive, got " + dilatedRatio);
        }
    }

    /** Most rows one head can keep in one segment: ceil(w / r). */
    public int maxKeptRows() {
        return (int) ((segmentLength + (long) dilatedRatio - 1) / dilatedRatio);
    }

    /** Rows kept in one segment by a head whose first kept row is {@code offset}: t = offset, offset + r, ... < w. */
    public int keptRows(int offset) {
        if (offset >= segmentLength) {
            return 0;
        }
        return (int) ((segmentLength - offset + (long) dilatedRatio - 1) / dilatedRatio);
    }
}
