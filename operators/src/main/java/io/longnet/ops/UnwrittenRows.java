package io.longnet.ops;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Which hot streams the encoder writes after a forward, so that a checkpoint barrier finds at most about
 * {@code unwritten-state-memory} of new k/v rows left to write (README, "Latency and capacity").
 */
final class UnwrittenRows {

    private UnwrittenRows() {
    }

    /**
     * @param dirty           the streams with rows unwritten; ties keep this order
     * @param unwrittenTokens per stream, the tokens whose new rows it holds unwritten
     * @param bytesPerToken   bytes of new kept rows one token adds (the model's average over its branches)
     * @param limitBytes      {@code unwritten-state-memory}
     * @return nothing while all of them hold at most {@code limitBytes}; otherwise the streams with the most
     *         unwritten, most first, as few as bring what is left to at most half of {@code limitBytes}: writing
     *         the busiest streams frees the most rows per write, and half leaves room for the next forwards
     * @param <S> a stream
     */
    static <S> List<S> streamsToWrite(List<S> dirty, ToLongFunction<S> unwrittenTokens, double bytesPerToken,
            long limitBytes) {
        long total = 0;
        for (S stream : dirty) {
            total += unwrittenTokens.applyAsLong(stream);
        }
        List<S> toWrite = new ArrayList<>();
        if (total * bytesPerToken <= limitBytes) {
            return toWrite;
        }
        List<S> busiestFirst = new ArrayList<>(dirty);
        busiestFirst.sort(Comparator.comparingLong(unwrittenTokens).reversed());
        for (S stream : busiestFirst) {
            if (total * bytesPerToken <= limitBytes / 2.0) {
                break;
            }
            toWrite.add(stream);
            total -= unwrittenTokens.applyAsLong(stream);
        }
        return toWrite;
    }
}
