package io.longnet.ops;

import io.longnet.text.Chunk;

/**
 * A chunk of one stream's token sequence, with its stream key (what the encoder is keyed by).
 *
 * @param stream the stream key, non-empty
 * @param chunk the tokens and the document pieces they hold
 */
public record StreamChunk(String stream, Chunk chunk) {

    public StreamChunk {
        if (stream == null || stream.isEmpty()) {
            throw new IllegalArgumentException("stream chunk needs a non-empty stream key, got "
                    + (stream == null ? "null" : "''"));
        }
        if (chunk == null) {
            throw new IllegalArgumentException("stream chunk of stream '" + stream + "' needs a chunk");
        }
    }
}
