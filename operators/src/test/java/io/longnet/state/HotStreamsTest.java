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

    /** Room is made before the current stream loads or grows: the others fit beside it at its bound. */
    @Test
    void makesRoomForTheCurrentStreamAtItsBoundEvictingTheLeastRecentlyUsed() throws Exception {
        HotStreams<Sized> hot = new HotStreams<>(100, s -> s.bytes.get());
        hot.put("a", new Sized(40));
        hot.put("b", new Sized(40));
        hot.get("a"); // b is now the least recently used
        List<String> evicted = new ArrayList<>();
        assertThat(hot.makeRoom(List.of("c"), 30, (stream, v) -> evicted.add(stream))).as("c not held: 80 + 30 > 100")
                .isEqualTo(1);
        assertThat(evicted).containsExactly("b");
        assertThat(hot.bytes()).isEqualTo(40);
        hot.put("c", new Sized(10));
        assertThat(hot.makeRoom(List.of("c"), 60, (stream, v) -> evicted.add(stream))).as("40 + 60 fit").isZero();
        assertThat(hot.makeRoom(List.of("c"), 61, (stream, v) -> evicted.add(stream))).isEqualTo(1);
        assertThat(evicted).containsExactly("b", "a");
        assertThat(hot.bytes()).isEqualTo(10);
        assertThat(hot.makeRoom(List.of("c"), 100, (stream, v) -> evicted.add(stream))).as("never the current one").isZero();
        assertThat(hot.size()).isEqualTo(1);
    }

    /** A batch's streams are all kept, and the room made is for their sum. */
    @Test
    void makesRoomForSeveralStreamsAtOnceKeepingEachOfThem() throws Exception {
        HotStreams<Sized> hot = new HotStreams<>(100, s -> s.bytes.get());
        hot.put("a", new Sized(30));
        hot.put("b", new Sized(30));
        hot.put("c", new Sized(30));
        List<String> evicted = new ArrayList<>();
        assertThat(hot.makeRoom(List.of("a", "c", "d"), 70, (stream, v) -> evicted.add(stream)))
                .as("b (30) + 70 fit").isZero();
        assertThat(hot.makeRoom(List.of("a", "c", "d"), 71, (stream, v) -> evicted.add(stream))).isEqualTo(1);
        assertThat(evicted).containsExactly("b");
        assertThat(hot.makeRoom(List.of("a", "c"), 200, (stream, v) -> evicted.add(stream))).as("only kept ones left")
                .isZero();
        assertThat(hot.size()).isEqualTo(2);
    }

    @Test
    void aFailedWriteBackKeepsTheEntry() {
        HotStreams<Sized> hot = new HotStreams<>(10, s -> s.bytes.get());
        hot.put("a", new Sized(8));
        hot.put("b", new Sized(8));
        assertThatThrownBy(() -> hot.makeRoom(List.of("b"), 8, (stream, v) -> {
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
