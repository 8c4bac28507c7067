package io.longnet.ops;

import io.longnet.kafka.Document;

/**
 * A parsed document and the Kafka partition it was read from: a stream's documents are in order only while
 * they come from one partition, which the chunker checks per stream.
 *
 * @param document  the parsed document
 * @param partition the partition of the documents topic it was read from, >= 0
 */
public record SourcedDocument(Document document, int partition) {

    public SourcedDocument {
        if (document == null || partition < 0) {
            throw new IllegalArgumentException("a sourced document needs a document and a partition >= 0, got "
                    + document + " from partition " + partition);
        }
    }

    public String stream() {
        return document.stream();
    }
}
