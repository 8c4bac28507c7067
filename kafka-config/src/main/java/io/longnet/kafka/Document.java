package io.longnet.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One input document (wire format "DocumentIn", v1), as read by {@link DocumentParser}.
 *
 * @param id     producer-chosen document id, non-empty
 * @param text   the document text, non-empty
 * @param stream the stream key the document belongs to ({@value #DEFAULT_STREAM} if the producer gave none)
 * @param ts     producer timestamp in epoch millis, or null if the producer gave none
 */
public record Document(String id, String text, String stream, Long ts) {
    public static final String DEFAULT_STREAM = "default";

    static final String ID = "id";
    static final String TEXT = "text";
    static final String STREAM = "stream";
    static final String TS = "ts";

    public Document {
        Checks.nonEmpty(id, ID);
        Checks.nonEmpty(text, TEXT);
        Checks.nonEmpty(stream, STREAM);
    }

    /** A document on the default stream without a timestamp. */
    public Document(String id, String text) {
        this(id, text, DEFAULT_STREAM, null);
    }

    /** UTF-8 JSON with {@code "v": 1}; {@code ts} is left out when null. */
    public byte[] toJson() {
        ObjectNode node = WireJson.newRecord()
                .put(ID, id)
                .put(TEXT, text)
                .put(STREAM, stream);
        if (ts != null) {
            node.put(TS, ts.longValue());
        }
        return WireJson.toBytes(node);
    }
}
