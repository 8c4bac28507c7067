package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The logits buffer's size and its limit, in arithmetic only: nothing here allocates a buffer. */
class LogitsBufferTest {

    private static final int CL100K = 100_277;

    /** chunk-size + 1 rows (the previous chunk's last row), rounded up to 64, as the decoder reserves them. */
    @Test
    void theBufferHoldsOneRowMoreThanTheChunkRoundedUpTo64() {
        assertThat(new LogitsBuffer(63, 10).rows()).isEqualTo(64);
        assertThat(new LogitsBuffer(64, 10).rows()).isEqualTo(128);
        assertThat(new LogitsBuffer(512, CL100K).bytes()).isEqualTo(576L * CL100K * 4).isEqualTo(231_038_208L);
        assertThat(new LogitsBuffer(8192, CL100K).bytes()).as("3.3 GB per encoder")
                .isEqualTo(8256L * CL100K * 4).isEqualTo(3_311_547_648L);
    }

    /** 127 tokens take 128 rows = 512,000 bytes at V = 1000: exactly the limit; 128 tokens take 192 rows. */
    @Test
    void theLargestChunkSizeWithinTheLimitPassesAndOneMoreIsRefusedWithTheNumbers() {
        long limit = 128L * 1000 * 4;
        assertThat(LogitsBuffer.largestChunkSize(1000, limit)).isEqualTo(127);
        assertThatCode(() -> new LogitsBuffer(127, 1000).requireWithin(limit)).doesNotThrowAnyException();

        assertThatThrownBy(() -> new LogitsBuffer(128, 1000).requireWithin(limit))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("chunk-size 128 with predictions on needs a logits buffer of 192 rows (chunk-size + 1, "
                        + "rounded up to a multiple of 64) x vocab_size 1000 x 4 bytes = 768000 bytes per encoder, "
                        + "more than the 512000 bytes of memory JavaCPP lets this JVM hold (maxPhysicalBytes, "
                        + "-Dorg.bytedeco.javacpp.maxphysicalbytes), so every encoder would fail at its first chunk; "
                        + "chunk-size 127 is the largest that fits (lower chunk-size, turn predictions off, or raise "
                        + "maxphysicalbytes)");
        assertThatThrownBy(() -> new LogitsBuffer(127, 1000).requireWithin(limit - 1))
                .hasMessageContainingAll("chunk-size 127 ", "512000 bytes per encoder", "than the 511999 bytes",
                        "chunk-size 63 is the largest that fits");
    }

    @Test
    void aLimitBelowTheLeastBufferRefusesEveryChunkSize() {
        long belowOneStep = 64L * 1000 * 4 - 1;
        assertThat(LogitsBuffer.largestChunkSize(1000, belowOneStep)).isZero();
        assertThatThrownBy(() -> new LogitsBuffer(1, 1000).requireWithin(belowOneStep))
                .hasMessageContainingAll("chunk-size 1 ", "256000 bytes per encoder", "than the 255999 bytes",
                        "not even the least buffer, 64 rows, fits");
    }

    /** The closed form the message quotes agrees with the check at every limit, whatever the vocabulary. */
    @Test
    void theLargestChunkSizeIsExactlyWhereTheCheckStartsToRefuse() {
        for (int vocab : new int[] {3, 7, 257, CL100K}) {
            for (long limit : new long[] {256L * vocab, 256L * vocab + 1, 1_000_003L * vocab, 6L << 30, 18L << 30}) {
                int largest = LogitsBuffer.largestChunkSize(vocab, limit);
                String at = "vocab " + vocab + ", limit " + limit;
                assertThat(new LogitsBuffer(largest, vocab).bytes()).as(at).isLessThanOrEqualTo(limit);
                assertThat(new LogitsBuffer(largest + 1, vocab).bytes()).as(at).isGreaterThan(limit);
            }
        }
    }

    /** JavaCPP reads maxPhysicalBytes 0 as no limit. */
    @Test
    void noLimitRefusesNothing() {
        assertThatCode(() -> new LogitsBuffer(Integer.MAX_VALUE, CL100K).requireWithin(0))
                .doesNotThrowAnyException();
    }

    /** 2^31 rows (chunk-size 2^31 - 1) x (2^30 - 1) x 4 bytes is just within a long; x 2^30 is not. */
    @Test
    void aBufferOfMoreThan2To63BytesOrWithoutRowsIsRefusedAtConstruction() {
        assertThat(new LogitsBuffer(Integer.MAX_VALUE, (1 << 30) - 1).bytes())
                .isEqualTo(Long.MAX_VALUE - (1L << 33) + 1);
        assertThatThrownBy(() -> new LogitsBuffer(Integer.MAX_VALUE, 1 << 30))
                .hasMessage("chunk-size 2147483647 at vocab_size 1073741824 needs a logits buffer of more than "
                        + "2^63 bytes");
        assertThatThrownBy(() -> new LogitsBuffer(0, 10))
                .hasMessage("a logits buffer needs chunk-size >= 1 and vocab_size >= 1, got 0 and 10");
    }
}
