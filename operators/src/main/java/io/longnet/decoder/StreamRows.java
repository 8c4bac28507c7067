package io.longnet.decoder;

import io.longnet.attention.AttentionState;

/**
 * One stream's rows in a batch of stacked rows: rows [offset, offset + count) of the batch are this stream's
 * positions [first, first + count), and its attention sees only its own kept rows, in {@code state}.
 */
record StreamRows(int offset, int count, long first, AttentionState state) {

    StreamRows {
        if (offset < 0 || count < 1) {
            throw new IllegalArgumentException("a stream's rows need offset >= 0 and count >= 1, got offset " + offset
                    + ", count " + count);
        }
    }
}
