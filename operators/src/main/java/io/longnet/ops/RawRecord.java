package io.longnet.ops;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Kafka record as the source read it, before any parsing: its coordinates, timestamp and raw bytes.
 * A Java record, so Flink serializes it as a POJO (no Kryo).
 *
 * @param topic the topic it was read from, non-empty
 * @param partition its partition, >= 0
 * @param offset its offset, >= 0
 * @param key the record key, or null
 * @param value the record value, or null for a tombstone; not copied, do not modify
 * @param timestamp the record's Kafka timestamp (epoch ms: the producer's CreateTime, or the broker's LogAppendTime
 *     where the topic says so), or {@link #NO_TIMESTAMP}; where the job's output latency is measured from
 */
public record RawRecord(String topic, int partition, long offset, byte[] key, byte[] value, long timestamp) {

    /** Kafka's value for a record without a timestamp (RecordBatch.NO_TIMESTAMP). */
    public static final long NO_TIMESTAMP = -1;

    public RawRecord {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("raw record topic must be non-empty, got "
                    + (topic == null ? "null" : "''"));
        }
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("raw record of topic '" + topic + "' must have partition >= 0 and"
                    + " offset >= 0, got partition " + partition + " and offset " + offset);
        }
    }

    /** A record without a timestamp. */
    public RawRecord(String topic, int partition, long offset, byte[] key, byte[] value) {
        this(topic, partition, offset, key, value, NO_TIMESTAMP);
    }

    // Records compare arrays by reference; a raw record is a value, so compare the bytes.
    @Override
    public boolean equals(Object o) {
        return o instanceof RawRecord other
                && topic.equals(other.topic)
                && partition == other.partition
                && offset == other.offset
                && timestamp == other.timestamp
                && Arrays.equals(key, other.key)
                && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset, Arrays.hashCode(key), Arrays.hashCode(value), timestamp);
    }

    @Override
    public String toString() {
        return "RawRecord[topic=" + topic + ", partition=" + partition + ", offset=" + offset
                + ", key=" + (key == null ? "null" : key.length + " bytes")
                + ", value=" + (value == null ? "null" : value.length + " bytes") + ", timestamp=" + timestamp + "]";
    }
}
