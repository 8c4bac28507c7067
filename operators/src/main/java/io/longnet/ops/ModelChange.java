package io.longnet.ops;

/** What a restore does with stream state written by another model (other weights or config). */
public enum ModelChange {
    /** Fail at start, naming both model fingerprints. */
    FAIL,
    /**
     * Keep every stream's position, drop its k/v rows and restart its context there: from the stream's next
     * multiple of w_max on, its outputs are exactly those of the new model over the stream.
     */
    RESTART_STREAMS
}
