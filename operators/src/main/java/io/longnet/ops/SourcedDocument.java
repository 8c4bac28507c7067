package io.longnet.ops;

import io.longnet.kafka.Document;

/**
 * A parsed document and the Kafka partition it was read from: a stream's documents are in order only while
 * they come from one partition, which the chunker checks per stream.
 *
 * @param document  the parsed document
 * @param partition the partition of the documents topic it was read from, >= 0
 * @param timestamp its Kafka record's timestamp (epoch ms), or {@link RawRecord#NO_TIMESTAMP}: carried to the
 *     heads, which measure each output's latency from it; never part of an output
 */
public record SourcedDocument(Document document, int partition, long timestamp) {

    public SourcedDocument {
        if (document == null || partition < 0) {
            throw new IllegalArgumentException("a sourced document needs a document and a partition >= 0, got "
                    + document + " from partition " + partition);
        }
    }

    /** A document without a record timestamp. */
    public SourcedDocument(Document document, int partition) {
        this(document, partition, RawRecord.NO_TIMESTAMP);
    }

    public String stream() {
        return document.stream();
    }
}
