package io.longnet.job;

import io.longnet.kafka.EmbeddingOut;
import io.longnet.ops.EncodedChunk;
import java.io.Serializable;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Pass-through steps the job can splice in: between the encoder and the heads, and between the heads and the
 * embeddings sink. The production job uses {@link #NONE}; the integration tests use them to inject a failure
 * mid-stream. Each tap must keep every element and its order per stream.
 */
public interface JobTaps extends Serializable {

    JobTaps NONE = new JobTaps() {
    };

    default DataStream<EncodedChunk> encoded(DataStream<EncodedChunk> encoded) {
        return encoded;
    }

    default DataStream<EmbeddingOut> embeddings(DataStream<EmbeddingOut> embeddings) {
        return embeddings;
    }
}
