package io.longnet.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.Objects;

/**
 * The embedding of one document (wire format v1).
 *
 * @param id            the document id
 * @param stream        the stream the document belongs to
 * @param firstPosition stream position of the document's first token
 * @param tokenCount    number of tokens of the document
 * @param vector        the pooled embedding, finite values only; copied in and out
 * @param model         fingerprint of the model weights that produced it
 */
public record EmbeddingOut(String id, String stream, long firstPosition, int tokenCount, float[] vector, String model) {
    static final String TYPE = "EmbeddingOut";
    static final String ID = "id";
    static final String STREAM = "stream";
    static final String FIRST_POSITION = "firstPosition";
    static final String TOKEN_COUNT = "tokenCount";
    static final String VECTOR = "vector";
    static final String MODEL = "model";

    public EmbeddingOut {
        Checks.nonEmpty(id, ID);
        Checks.nonEmpty(stream, STREAM);
        Checks.nonNegative(firstPosition, FIRST_POSITION);
        Checks.positive(tokenCount, TOKEN_COUNT);
        vector = checkedCopy(vector);
        Checks.nonEmpty(model, MODEL);
    }

    @Override
    public float[] vector() {
        return vector.clone();
    }

    public int dimension() {
        return vector.length;
    }

    /** UTF-8 JSON; each float is written as {@link Float#toString(float)} so it reads back bit-exact. */
    public byte[] toJson() {
        ObjectNode node = WireJson.newRecord()
                .put(ID, id)
                .put(STREAM, stream)
                .put(FIRST_POSITION, firstPosition)
                .put(TOKEN_COUNT, tokenCount);
        ArrayNode values = node.putArray(VECTOR);
        for (float value : vector) {
            values.add(value);
        }
        node.put(MODEL, model);
        return WireJson.toBytes(node);
    }

    /** @throws WireFormatException naming the field and what was found, if the bytes are not a v1 EmbeddingOut */
    public static EmbeddingOut fromJson(byte[] json) {
        return WireJson.readRecord(TYPE, json, node -> new EmbeddingOut(
                WireJson.requiredString(node, ID),
                WireJson.requiredString(node, STREAM),
                WireJson.requiredLong(node, FIRST_POSITION),
                WireJson.requiredInt(node, TOKEN_COUNT),
                exactVector(node, json),
                WireJson.requiredString(node, MODEL)));
    }

    /**
     * The tree model holds JSON numbers as doubles, and float(double(decimal)) can differ from
     * float(decimal) in the last bit. So the tree only checks the types (for clear messages) and
     * the values come from Jackson's float[] binding, which parses each literal straight to float.
     */
    private static float[] exactVector(ObjectNode node, byte[] json) {
        ArrayNode values = WireJson.requiredArray(node, VECTOR);
        for (int i = 0; i < values.size(); i++) {
            JsonNode value = values.get(i);
            WireJson.doubleValue(value, VECTOR + "[" + i + "]");
        }
        return WireJson.readAs(json, VectorField.class).vector();
    }

    private record VectorField(float[] vector) {
    }

    private static float[] checkedCopy(float[] vector) {
        if (vector == null || vector.length == 0) {
            throw new IllegalArgumentException(VECTOR + " must have at least one value, was "
                    + (vector == null ? "null" : "empty"));
        }
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new IllegalArgumentException(VECTOR + "[" + i + "] must be finite, was " + vector[i]);
            }
        }
        return vector.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EmbeddingOut that
                && id.equals(that.id)
                && stream.equals(that.stream)
                && firstPosition == that.firstPosition
                && tokenCount == that.tokenCount
                && Arrays.equals(vector, that.vector)
                && model.equals(that.model);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, stream, firstPosition, tokenCount, Arrays.hashCode(vector), model);
    }

    @Override
    public String toString() {
        return "EmbeddingOut[id=" + id + ", stream=" + stream + ", firstPosition=" + firstPosition
                + ", tokenCount=" + tokenCount + ", vector=float[" + vector.length + "], model=" + model + "]";
    }
}
