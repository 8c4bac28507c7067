package io.longnet.text;

/**
 * How the stream is cut into chunks for the decoder.
 *
 * @param maxChunkTokens most tokens in one chunk (setting {@code chunk-size}); at least 2, because
 *     a chunk may not end with a separator whose document starts in the next chunk, so a chunk cut
 *     one token early must still hold a token
 * @param separatorId the model tokenizer's separator ({@link CorpusTokenizer#separatorId()}), placed before
 *     every document
 */
public record ChunkerConfig(int maxChunkTokens, int separatorId) {

    public ChunkerConfig {
        if (maxChunkTokens < 2) {
            throw new IllegalArgumentException("chunk-size must be >= 2, got " + maxChunkTokens);
        }
        if (separatorId < 0) {
            throw new IllegalArgumentException("separator id must be >= 0, got " + separatorId);
        }
    }

    public ChunkerConfig(int maxChunkTokens, CorpusTokenizer tokenizer) {
        this(maxChunkTokens, tokenizer.separatorId());
    }
}
