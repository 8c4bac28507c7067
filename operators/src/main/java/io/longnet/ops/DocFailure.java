package io.longnet.ops;

/**
 * A document of a chunk that the encoder could not encode, and why. The document goes whole to the dead letters;
 * its neighbours in the chunk are encoded as if it had never been there, past its end.
 *
 * @param docFirstPosition stream position of the document's first token (identifies it in its stream)
 * @param reason why, for the dead letter
 */
public record DocFailure(long docFirstPosition, String reason) {

    public DocFailure {
        if (reason == null || reason.isEmpty()) {
            throw new IllegalArgumentException("the failure of the document at position " + docFirstPosition
                    + " needs a reason");
        }
    }
}
