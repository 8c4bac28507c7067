package io.longnet.compute;

import java.io.Serializable;

/**
 * How many threads each encoder of a TaskManager uses: a configured count, or by default an equal share of
 * the TaskManager's cores, max(1, cores / slots), so that slots x threads never exceeds the cores (every slot
 * may hold an encoder, and {@link ComputeThreads} is one setting per process). The default is decided where
 * the encoder runs, from that TaskManager's own cores and slot count, so TaskManagers of different sizes each
 * get their share. Containers on one host each see the host's cores unless given a CPU limit: there, set the
 * count (host cores / all slots on the host) or the limit.
 *
 * @param configured the configured count in [1, 1024], or null for the default share
 */
public record EncoderThreads(Integer configured) implements Serializable {

    private static final long serialVersionUID = 1L;

    public EncoderThreads {
        if (configured != null && (configured < 1 || configured > 1024)) {
            throw new IllegalArgumentException("encoder threads must be in [1, 1024], got " + configured);
        }
    }

    /** The default: a share of the TaskManager's cores. */
    public static EncoderThreads perSlotShare() {
        return new EncoderThreads(null);
    }

    /** The count for an encoder on a TaskManager with these cores and task slots. */
    public int resolve(int cores, int slots) {
        if (cores < 1 || slots < 1) {
            throw new IllegalArgumentException("a TaskManager needs at least one core and one slot, got " + cores
                    + " cores and " + slots + " slots");
        }
        return configured != null ? configured : Math.max(1, cores / slots);
    }
}
