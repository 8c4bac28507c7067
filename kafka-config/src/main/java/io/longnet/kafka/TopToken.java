package io.longnet.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One candidate next token.
 *
 * @param id          token id in the tokenizer's vocabulary
 * @param text        the token decoded to text (may be empty or partial for byte-level tokens)
 * @param probability its probability, in [0, 1]
 */
public record TopToken(int id, String text, double probability) {
    static final String ID = "id";
    static final String TEXT = "text";
    static final String PROBABILITY = "probability";

    public TopToken {
        Checks.nonNegative(id, "topToken.id");
        Checks.wellFormed(text, "topToken.text");
        if (!(probability >= 0.0 && probability <= 1.0)) {
            throw new IllegalArgumentException("topToken.probability must be in [0, 1], was " + probability);
        }
    }

    void writeTo(ObjectNode node) {
        node.put(ID, id).put(TEXT, text).put(PROBABILITY, probability);
    }

    static TopToken read(ObjectNode node, String name) {
        return new TopToken(
                WireJson.intValue(WireJson.required(node, ID, name + "." + ID), name + "." + ID),
                WireJson.string(WireJson.required(node, TEXT, name + "." + TEXT), name + "." + TEXT),
                WireJson.doubleValue(WireJson.required(node, PROBABILITY, name + "." + PROBABILITY),
                        name + "." + PROBABILITY));
    }
}
