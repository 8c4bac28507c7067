package io.longnet.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which hot streams the encoder writes after a forward, so that a checkpoint barrier finds at most about
 * {@code unwritten-state-memory} of new k/v rows left to write (README, "Latency and capacity").
 */
final class UnwrittenRows {

    private UnwrittenRows() {
    }

    /**
     * @param unwrittenTokens per dirty stream, the tokens whose new rows it holds unwritten; ties keep this
     *                        map's iteration order
     * @param bytesPerToken   bytes of new kept rows one token adds (the model's average over its branches)
     * @param limitBytes      {@code unwritten-state-memory}
     * @return nothing while all of them hold at most {@code limitBytes}; otherwise the streams with the most
     *         unwritten, most first, as few as bring what is left to at most half of {@code limitBytes}: writing
     *         the busiest streams frees the most rows per write, and half leaves room for the next forwards
     */
    static List<String> streamsToWrite(Map<String, Long> unwrittenTokens, double bytesPerToken, long limitBytes) {
        long total = 0;
        for (long tokens : unwrittenTokens.values()) {
            total += tokens;
        }
        List<String> toWrite = new ArrayList<>();
        if (total * bytesPerToken <= limitBytes) {
            return toWrite;
        }
        List<Map.Entry<String, Long>> busiestFirst = new ArrayList<>(unwrittenTokens.entrySet());
        busiestFirst.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        for (Map.Entry<String, Long> e : busiestFirst) {
            if (total * bytesPerToken <= limitBytes / 2.0) {
                break;
            }
            toWrite.add(e.getKey());
            total -= e.getValue();
        }
        return toWrite;
    }
}
