package io.longnet.job;

import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * How the job's Kafka sinks write their outputs: the values of {@link JobOptions#DELIVERY_GUARANTEE}, written as
 * the option takes them ({@code exactly-once}, {@code at-least-once}). There is no {@code none}: a sink that does
 * not flush at checkpoints may lose outputs on a restart, and a lost output is never acceptable here, while
 * at-least-once already writes each output as soon as it is computed.
 */
public enum Delivery {

    /** Transactional outputs, committed when the checkpoint that covers them completes: no repeats. */
    EXACTLY_ONCE("exactly-once", DeliveryGuarantee.EXACTLY_ONCE),

    /**
     * Outputs written at once, without transactions, and flushed at every checkpoint. A restart replays what
     * followed the restored checkpoint, so some outputs come again, with the same id, position and values.
     */
    AT_LEAST_ONCE("at-least-once", DeliveryGuarantee.AT_LEAST_ONCE);

    private final String value;
    private final DeliveryGuarantee sinkGuarantee;

    Delivery(String value, DeliveryGuarantee sinkGuarantee) {
        this.value = value;
        this.sinkGuarantee = sinkGuarantee;
    }

    /** The guarantee the Kafka sinks are built with. */
    public DeliveryGuarantee sinkGuarantee() {
        return sinkGuarantee;
    }

    /** Whether the sinks write in Kafka transactions (transactional ids, transaction timeout). */
    public boolean transactional() {
        return this == EXACTLY_ONCE;
    }

    /** The option's value; Flink parses enum options by comparing it, case-insensitively, with this. */
    @Override
    public String toString() {
        return value;
    }
}
