package io.longnet.ops;

import java.io.Serializable;

/**
 * How the encoder groups chunks of several streams into one forward ({@link ChunkEncoder#encode(java.util.List)}).
 * A batch starts with the first chunk that arrives while none is waiting and is encoded when the next chunk would
 * not fit in {@code maxTokens} (counted as the logits rows the chunks reserve: tokens + 1 each, at most
 * {@code maxTokens + 1} in all, so that the job's logits buffer check for one chunk of {@code maxTokens} covers every
 * batch), when a second chunk of one of its streams arrives, {@code waitMillis} after it started, before a checkpoint
 * barrier, and at the end of the input.
 *
 * @param maxTokens  most tokens of one forward, the job's chunk-size; >= 1
 * @param waitMillis longest a chunk waits for others to join it, >= 0; 0 encodes every chunk on arrival, alone
 */
public record EncoderBatching(int maxTokens, long waitMillis) implements Serializable {

    /** Every chunk encoded on arrival, in a forward of its own. */
    public static final EncoderBatching OFF = new EncoderBatching(1, 0);

    public EncoderBatching {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("a batch's most tokens must be >= 1, got " + maxTokens);
        }
        if (waitMillis < 0) {
            throw new IllegalArgumentException("a batch's wait must be >= 0 ms, got " + waitMillis);
        }
    }

    /** The logits rows a batch may reserve: those of one chunk of {@code maxTokens} tokens. */
    long maxLogitsRows() {
        return ChunkEncoder.logitsRows(maxTokens);
    }

    /** Whether a chunk of {@code tokens} tokens joins a batch that reserves {@code rows} logits rows. */
    boolean fits(long rows, int tokens) {
        return rows + ChunkEncoder.logitsRows(tokens) <= maxLogitsRows();
    }
}
