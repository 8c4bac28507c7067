package io.longnet.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HotStreamsTest {

    /** A stand-in stream state whose size the test changes. */
    static final class Sized {
        final AtomicLong bytes;

        Sized(long bytes) {
            this.bytes = new AtomicLong(bytes);
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedUntilWithinTheLimitNeverTheCurrentOne() throws Exception {
        HotStreams<Sized> hot = new HotStreams<>(100, s -> s.bytes.get());
        hot.put("a", new Sized(40));
        hot.put("b", new Sized(40));
        hot.get("a"); // b is now the least recently used
        hot.put("c", new Sized(40));
        List<String> evicted = new ArrayList<>();
        assertThat(hot.evictBeyondLimit("c", (stream, v) -> evicted.add(stream))).isEqualTo(1);
        assertThat(evicted).containsExactly("b");
        assertThat(hot.bytes()).isEqualTo(80);
        assertThat(hot.get("b")).isNull();

        Sized c = hot.get("c");
        c.bytes.set(95);
        hot.resized("c");
        assertThat(hot.evictBeyondLimit("c", (stream, v) -> evicted.add(stream))).isEqualTo(1);
        assertThat(evicted).containsExactly("b", "a");
        assertThat(hot.bytes()).isEqualTo(95);

        c.bytes.set(130); // alone over the limit: kept, the caller checked one stream's bound at start
        hot.resized("c");
        assertThat(hot.evictBeyondLimit("c", (stream, v) -> evicted.add(stream))).isZero();
        assertThat(hot.size()).isEqualTo(1);
    }

    @Test
    void aFailedWriteBackKeepsTheEntry() {
        HotStreams<Sized> hot = new HotStreams<>(10, s -> s.bytes.get());
        hot.put("a", new Sized(8));
        hot.put("b", new Sized(8));
        assertThatThrownBy(() -> hot.evictBeyondLimit("b", (stream, v) -> {
            throw new IllegalStateException("disk full");
        })).hasMessage("disk full");
        assertThat(hot.get("a")).isNotNull();
        assertThat(hot.bytes()).isEqualTo(16);
    }

    @Test
    void replacingAnEntryCountsOnlyTheNewOne() {
        HotStreams<Sized> hot = new HotStreams<>(10, s -> s.bytes.get());
        hot.put("a", new Sized(8));
        hot.put("a", new Sized(3));
        assertThat(hot.bytes()).isEqualTo(3);
        assertThatThrownBy(() -> new HotStreams<Sized>(0, s -> 0)).hasMessageContaining("at least 1 byte");
    }
}
