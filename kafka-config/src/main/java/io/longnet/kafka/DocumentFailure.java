package io.longnet.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A document that parsed but could not be processed (the encoder or the heads failed on it), on the
 * dead-letter topic beside {@link DeadLetter} (wire format "DocumentFailure", v1). Its record coordinates are
 * not known past the parser; the document is named by its stream and position.
 *
 * @param id            the document id
 * @param stream        the stream the document belongs to
 * @param firstPosition stream position of its first token
 * @param tokenCount    its number of tokens
 * @param reason        why it got no embedding or prediction
 * @param model         fingerprint of the model that ran
 */
public record DocumentFailure(String id, String stream, long firstPosition, int tokenCount, String reason,
                              String model) {
    static final String TYPE = "DocumentFailure";
    static final String ID = "id";
    static final String STREAM = "stream";
    static final String FIRST_POSITION = "firstPosition";
    static final String TOKEN_COUNT = "tokenCount";
    static final String REASON = "reason";
    static final String MODEL = "model";

    public DocumentFailure {
        Checks.nonEmpty(id, ID);
        Checks.nonEmpty(stream, STREAM);
        Checks.nonNegative(firstPosition, FIRST_POSITION);
        Checks.positive(tokenCount, TOKEN_COUNT);
        Checks.nonEmpty(reason, REASON);
        Checks.nonEmpty(model, MODEL);
    }

    /** UTF-8 JSON. */
    public byte[] toJson() {
        ObjectNode node = WireJson.newRecord()
                .put(ID, id)
                .put(STREAM, stream)
                .put(FIRST_POSITION, firstPosition)
                .put(TOKEN_COUNT, tokenCount)
                .put(REASON, reason)
                .put(MODEL, model);
        return WireJson.toBytes(node);
    }

    /**
     * Whether a record of the dead-letter topic is a DocumentFailure (it has an {@code id}) rather than a
     * {@link DeadLetter} (which has a {@code sourceTopic}); false for bytes that are not a JSON object.
     */
    public static boolean isDocumentFailure(byte[] json) {
        try {
            ObjectNode node = WireJson.readObject(json);
            return node.has(ID) && !node.has(DeadLetter.SOURCE_TOPIC);
        } catch (WireFormatException e) {
            return false;
        }
    }

    /** @throws WireFormatException naming the field and what was found, if the bytes are not a v1 DocumentFailure */
    public static DocumentFailure fromJson(byte[] json) {
        return WireJson.readRecord(TYPE, json, node -> new DocumentFailure(
                WireJson.requiredString(node, ID),
                WireJson.requiredString(node, STREAM),
                WireJson.requiredLong(node, FIRST_POSITION),
                WireJson.requiredInt(node, TOKEN_COUNT),
                WireJson.requiredString(node, REASON),
                WireJson.requiredString(node, MODEL)));
    }
}
