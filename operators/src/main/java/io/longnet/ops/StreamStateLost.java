package io.longnet.ops;

/**
 * A chunk does not continue its stream's encoder state: state was lost or mixed from two checkpoints, not bad
 * input. The operator fails the job for good on it (a restart would restore the same state and fail again).
 */
public final class StreamStateLost extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public StreamStateLost(String message) {
        super(message);
    }
}
