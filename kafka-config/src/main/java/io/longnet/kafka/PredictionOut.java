package io.longnet.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * What the model made of one document (wire format v1).
 *
 * @param id            the document id
 * @param stream        the stream the document belongs to
 * @param firstPosition stream position of the document's first token
 * @param tokenCount    number of tokens of the document
 * @param meanNll       mean negative log-likelihood of the document's tokens, in nats
 * @param perplexity    exp(meanNll); +Infinity where that overflows a double (meanNll above about 709.78),
 *                      written as JSON null
 * @param bitsPerByte   how surprising the document is given its stream so far, comparable across tokenizers: the
 *                      sum of its scored tokens' NLL / ln 2 / the UTF-8 bytes of those tokens; NaN when not
 *                      available (written as JSON null; records of earlier builds, without the field, read so):
 *                      for documents already in the job's state when it was upgraded from a build that kept no
 *                      byte counts, and, with a tokenizer whose tokens may span several bytes, for documents with
 *                      a token nothing could score (their stream's context restarted inside them)
 * @param topNext       the most likely next tokens after the document, most likely first
 */
public record PredictionOut(String id, String stream, long firstPosition, int tokenCount,
                            double meanNll, double perplexity, double bitsPerByte, List<TopToken> topNext) {
    static final String TYPE = "PredictionOut";
    static final String ID = "id";
    static final String STREAM = "stream";
    static final String FIRST_POSITION = "firstPosition";
    static final String TOKEN_COUNT = "tokenCount";
    static final String MEAN_NLL = "meanNll";
    static final String PERPLEXITY = "perplexity";
    static final String BITS_PER_BYTE = "bitsPerByte";
    static final String TOP_NEXT = "topNext";

    public PredictionOut {
        Checks.nonEmpty(id, ID);
        Checks.nonEmpty(stream, STREAM);
        Checks.nonNegative(firstPosition, FIRST_POSITION);
        Checks.positive(tokenCount, TOKEN_COUNT);
        // Only finiteness: float round-off can push a near-certain document's NLL a hair below 0.
        Checks.finite(meanNll, MEAN_NLL);
        if (Double.isNaN(perplexity) || perplexity == Double.NEGATIVE_INFINITY
                || (perplexity == Double.POSITIVE_INFINITY) != Double.isInfinite(Math.exp(meanNll))) {
            throw new IllegalArgumentException(PERPLEXITY + " must be exp(" + MEAN_NLL + "), finite unless that "
                    + "overflows; got " + perplexity + " for " + MEAN_NLL + " " + meanNll);
        }
        if (!Double.isNaN(bitsPerByte)) {
            Checks.finite(bitsPerByte, BITS_PER_BYTE); // only finiteness, as for meanNll: the same round-off
        }
        if (topNext == null) {
            throw new IllegalArgumentException(TOP_NEXT + " must not be null");
        }
        topNext = List.copyOf(topNext);
    }

    /** UTF-8 JSON; doubles are written as {@link Double#toString(double)} and read back bit-exact. */
    public byte[] toJson() {
        ObjectNode node = WireJson.newRecord()
                .put(ID, id)
                .put(STREAM, stream)
                .put(FIRST_POSITION, firstPosition)
                .put(TOKEN_COUNT, tokenCount)
                .put(MEAN_NLL, meanNll);
        if (Double.isInfinite(perplexity)) {
            node.putNull(PERPLEXITY); // JSON has no Infinity
        } else {
            node.put(PERPLEXITY, perplexity);
        }
        if (Double.isNaN(bitsPerByte)) {
            node.putNull(BITS_PER_BYTE); // not available; JSON has no NaN
        } else {
            node.put(BITS_PER_BYTE, bitsPerByte);
        }
        ArrayNode tokens = node.putArray(TOP_NEXT);
        for (TopToken token : topNext) {
            token.writeTo(tokens.addObject());
        }
        return WireJson.toBytes(node);
    }

    /** @throws WireFormatException naming the field and what was found, if the bytes are not a v1 PredictionOut */
    public static PredictionOut fromJson(byte[] json) {
        return WireJson.readRecord(TYPE, json, node -> new PredictionOut(
                WireJson.requiredString(node, ID),
                WireJson.requiredString(node, STREAM),
                WireJson.requiredLong(node, FIRST_POSITION),
                WireJson.requiredInt(node, TOKEN_COUNT),
                WireJson.requiredDouble(node, MEAN_NLL),
                readPerplexity(node),
                readBitsPerByte(node),
                readTopNext(node)));
    }

    private static double readPerplexity(ObjectNode node) {
        if (node.has(PERPLEXITY) && node.get(PERPLEXITY).isNull()) {
            return Double.POSITIVE_INFINITY;
        }
        return WireJson.requiredDouble(node, PERPLEXITY);
    }

    /** Absent (a record of an earlier build) or null: not available. */
    private static double readBitsPerByte(ObjectNode node) {
        JsonNode value = node.get(BITS_PER_BYTE);
        return value == null || value.isNull() ? Double.NaN : WireJson.doubleValue(value, BITS_PER_BYTE);
    }

    private static List<TopToken> readTopNext(ObjectNode node) {
        ArrayNode array = WireJson.requiredArray(node, TOP_NEXT);
        List<TopToken> tokens = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String name = TOP_NEXT + "[" + i + "]";
            tokens.add(TopToken.read(WireJson.object(array.get(i), name), name));
        }
        return tokens;
    }
}
