package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UnwrittenRowsTest {

    @Test
    void writesNothingWhileWithinTheLimitIncludingAtIt() {
        Map<String, Long> unwritten = ordered("a", 10, "b", 20);
        assertThat(toWrite(unwritten, 100, 3000)).isEmpty();
        assertThat(toWrite(unwritten, 100, 2999)).containsExactly("b"); // 1,000 left <= 1,499.5
    }

    @Test
    void writesTheBusiestStreamsFirstUntilHalfTheLimitIsLeft() {
        // 80 tokens = 8,000 bytes against 5,000: write b (40) and c (25), leaving 15 tokens = 1,500 <= 2,500
        Map<String, Long> unwritten = ordered("a", 10, "b", 40, "c", 25, "d", 5);
        assertThat(toWrite(unwritten, 100, 5000)).containsExactly("b", "c");
    }

    @Test
    void keepsTheMapsOrderBetweenEqualStreams() {
        Map<String, Long> unwritten = ordered("x", 10, "y", 10, "z", 10);
        assertThat(toWrite(unwritten, 1, 20)).containsExactly("x", "y");
    }

    @Test
    void aLimitOfZeroWritesEveryStreamWithUnwrittenRows() {
        Map<String, Long> unwritten = ordered("a", 3, "meta-only", 0, "b", 7);
        assertThat(toWrite(unwritten, 64, 0)).containsExactly("b", "a");
    }

    /** On random inputs: the fewest streams, all at least as busy as any left, that leave at most half. */
    @Test
    void choosesTheFewestBusiestStreamsThatLeaveAtMostHalf() {
        Random random = new Random(17);
        for (int round = 0; round < 2000; round++) {
            Map<String, Long> unwritten = new LinkedHashMap<>();
            int streams = random.nextInt(12);
            for (int s = 0; s < streams; s++) {
                unwritten.put("s" + s, (long) random.nextInt(600));
            }
            double bytesPerToken = 1 + random.nextInt(4000) / 7.0;
            long limit = random.nextInt(2_000_000);
            List<String> written = toWrite(unwritten, bytesPerToken, limit);

            long total = unwritten.values().stream().mapToLong(Long::longValue).sum();
            long left = total - written.stream().mapToLong(unwritten::get).sum();
            if (total * bytesPerToken <= limit) {
                assertThat(written).isEmpty();
                continue;
            }
            assertThat(left * bytesPerToken).isLessThanOrEqualTo(limit / 2.0);
            long lastWritten = unwritten.get(written.get(written.size() - 1));
            assertThat((left + lastWritten) * bytesPerToken).isGreaterThan(limit / 2.0);
            for (int i = 1; i < written.size(); i++) {
                assertThat(unwritten.get(written.get(i))).isLessThanOrEqualTo(unwritten.get(written.get(i - 1)));
            }
            for (Map.Entry<String, Long> notWritten : unwritten.entrySet()) {
                if (!written.contains(notWritten.getKey())) {
                    assertThat(notWritten.getValue()).isLessThanOrEqualTo(lastWritten);
                }
            }
        }
    }

    /** The names of the streams to write, of streams given as (name, unwritten tokens) in the map's order. */
    private static List<String> toWrite(Map<String, Long> unwritten, double bytesPerToken, long limitBytes) {
        return UnwrittenRows.streamsToWrite(List.copyOf(unwritten.entrySet()), Map.Entry::getValue, bytesPerToken,
                limitBytes).stream().map(Map.Entry::getKey).toList();
    }

    private static Map<String, Long> ordered(Object... streamsAndTokens) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < streamsAndTokens.length; i += 2) {
            m.put((String) streamsAndTokens[i], ((Integer) streamsAndTokens[i + 1]).longValue());
        }
        return m;
    }
}
