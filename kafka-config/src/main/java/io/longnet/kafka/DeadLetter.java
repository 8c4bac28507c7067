package io.longnet.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A rejected input record, kept with its coordinates and the reason (wire format v1).
 *
 * @param sourceTopic the topic the record was read from
 * @param partition   its partition
 * @param offset      its offset
 * @param reason      why it was rejected
 * @param original    the record value exactly as read, or null for a tombstone; copied in and out
 */
public record DeadLetter(String sourceTopic, int partition, long offset, String reason, byte[] original) {
    static final String TYPE = "DeadLetter";
    static final String SOURCE_TOPIC = "sourceTopic";
    static final String PARTITION = "partition";
    static final String OFFSET = "offset";
    static final String REASON = "reason";
    static final String ORIGINAL = "original";

    public DeadLetter {
        Checks.nonEmpty(sourceTopic, SOURCE_TOPIC);
        Checks.nonNegative(partition, PARTITION);
        Checks.nonNegative(offset, OFFSET);
        Checks.nonEmpty(reason, REASON);
        original = original == null ? null : original.clone();
    }

    @Override
    public byte[] original() {
        return original == null ? null : original.clone();
    }

    /** UTF-8 JSON; {@code original} is standard base64 (RFC 4648, padded), or null for a tombstone. */
    public byte[] toJson() {
        ObjectNode node = WireJson.newRecord()
                .put(SOURCE_TOPIC, sourceTopic)
                .put(PARTITION, partition)
                .put(OFFSET, offset)
                .put(REASON, reason);
        if (original == null) {
            node.putNull(ORIGINAL);
        } else {
            node.put(ORIGINAL, Base64.getEncoder().encodeToString(original));
        }
        return WireJson.toBytes(node);
    }

    /** @throws WireFormatException naming the field and what was found, if the bytes are not a v1 DeadLetter */
    public static DeadLetter fromJson(byte[] json) {
        return WireJson.readRecord(TYPE, json, node -> new DeadLetter(
                WireJson.requiredString(node, SOURCE_TOPIC),
                WireJson.requiredInt(node, PARTITION),
                WireJson.requiredLong(node, OFFSET),
                WireJson.requiredString(node, REASON),
                readOriginal(node)));
    }

    private static byte[] readOriginal(ObjectNode node) {
        JsonNode value = WireJson.required(node, ORIGINAL, ORIGINAL);
        if (value.isNull()) {
            return null;
        }
        String base64 = WireJson.string(value, ORIGINAL);
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(WireError.INVALID_VALUE,
                    "field '" + ORIGINAL + "' is not valid base64: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof DeadLetter that
                && sourceTopic.equals(that.sourceTopic)
                && partition == that.partition
                && offset == that.offset
                && reason.equals(that.reason)
                && Arrays.equals(original, that.original);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sourceTopic, partition, offset, reason, Arrays.hashCode(original));
    }

    @Override
    public String toString() {
        return "DeadLetter[sourceTopic=" + sourceTopic + ", partition=" + partition + ", offset=" + offset
                + ", reason=" + reason + ", original=" + (original == null ? "null" : original.length + " bytes") + "]";
    }
}
