package io.longnet.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads raw Kafka record values into {@link Document}s. Never throws on bad input: every problem
 * becomes a {@link ParseOutcome.Rejected} with a reason fit for the dead-letter topic, because bad
 * input must neither stop the job nor disappear silently.
 *
 * <p>Checks run cheapest-first and the size limit comes before any decoding, so an oversized
 * record costs nothing but its length.
 */
public final class DocumentParser {
    /** The name of the size-limit setting, as it appears in rejection reasons. */
    public static final String MAX_DOCUMENT_BYTES = "max-document-bytes";
    public static final int DEFAULT_MAX_DOCUMENT_BYTES = 1024 * 1024;

    private final int maxDocumentBytes;

    /** @param maxDocumentBytes the largest raw record value accepted, in bytes */
    public DocumentParser(int maxDocumentBytes) {
        if (maxDocumentBytes < 1) {
            throw new IllegalArgumentException(MAX_DOCUMENT_BYTES + " must be >= 1, was " + maxDocumentBytes);
        }
        this.maxDocumentBytes = maxDocumentBytes;
    }

    public static DocumentParser withDefaultLimit() {
        return new DocumentParser(DEFAULT_MAX_DOCUMENT_BYTES);
    }

    public int maxDocumentBytes() {
        return maxDocumentBytes;
    }

    public ParseOutcome parse(byte[] raw) {
        try {
            return ParseOutcome.valid(read(raw));
        } catch (WireFormatException e) {
            return ParseOutcome.rejected(e.error(), e.getMessage());
        }
    }

    private Document read(byte[] raw) {
        checkSize(raw);
        ObjectNode node = WireJson.readObject(raw);
        // Version first: a v2 record with renamed fields should say "unsupported v", not "missing id".
        WireJson.checkVersion(node, false);
        String id = WireJson.nonEmpty(WireJson.requiredString(node, Document.ID), Document.ID);
        String text = WireJson.nonEmpty(WireJson.requiredString(node, Document.TEXT), Document.TEXT);
        String stream = WireJson.optionalString(node, Document.STREAM);
        stream = stream == null ? Document.DEFAULT_STREAM : WireJson.nonEmpty(stream, Document.STREAM);
        Long ts = WireJson.optionalLong(node, Document.TS);
        return new Document(id, text, stream, ts);
    }

    private void checkSize(byte[] raw) {
        if (raw != null && raw.length > maxDocumentBytes) {
            throw new WireFormatException(WireError.TOO_LARGE, String.format(
                    "document is %d bytes, over the limit %s=%d", raw.length, MAX_DOCUMENT_BYTES, maxDocumentBytes));
        }
    }
}
