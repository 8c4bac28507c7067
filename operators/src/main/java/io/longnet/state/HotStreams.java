package io.longnet.state;

import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The in-memory copies of streams' state, least recently used first, bounded in bytes. Derived data: the
 * caller writes an entry back before it is dropped ({@link Evictor}) and rebuilds it from durable state on
 * its next use, so what is in here never decides an output.
 *
 * @param <V> one stream's state; its size is read with the sizer after every {@link #resized} and put
 */
public final class HotStreams<V> {

    /** Writes an entry back to durable state just before it is dropped. */
    @FunctionalInterface
    public interface Evictor<V> {
        void evict(String stream, V value) throws Exception;
    }

    private final long limitBytes;
    private final ToLongFunction<V> sizer;
    private final LinkedHashMap<String, Entry<V>> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    private static final class Entry<V> {
        final V value;
        long bytes;

        Entry(V value, long bytes) {
            this.value = value;
            this.bytes = bytes;
        }
    }

    /** @param limitBytes most bytes held (sum of the sizer over the entries), at least 1 */
    public HotStreams(long limitBytes, ToLongFunction<V> sizer) {
        if (limitBytes < 1) {
            throw new IllegalArgumentException("hot stream memory must be at least 1 byte, got " + limitBytes);
        }
        this.limitBytes = limitBytes;
        this.sizer = sizer;
    }

    /** The stream's entry, now the most recently used; null when not held. */
    public V get(String stream) {
        Entry<V> e = entries.get(stream);
        return e == null ? null : e.value;
    }

    public void put(String stream, V value) {
        Entry<V> old = entries.put(stream, new Entry<>(value, sizer.applyAsLong(value)));
        if (old != null) {
            bytes -= old.bytes;
        }
        bytes += entries.get(stream).bytes;
    }

    /** Re-reads the size of a held stream's entry after it changed. */
    public void resized(String stream) {
        Entry<V> e = entries.get(stream);
        if (e != null) {
            long now = sizer.applyAsLong(e.value);
            bytes += now - e.bytes;
            e.bytes = now;
        }
    }

    /**
     * Drops least recently used entries other than those of {@code keep} until they fit in the limit beside
     * {@code keep}'s grown to {@code keepAtMost} bytes in all (held or not), handing each to {@code evictor} first.
     * Returns how many were dropped. Called before {@code keep}'s are loaded or grow, so that the limit holds at every
     * moment, not only after the fact; the caller makes sure that {@code keepAtMost} fits.
     */
    public int makeRoom(Collection<String> keep, long keepAtMost, Evictor<V> evictor) throws Exception {
        long others = bytes;
        for (String stream : keep) {
            Entry<V> kept = entries.get(stream);
            others -= kept == null ? 0 : kept.bytes;
        }
        int dropped = 0;
        Iterator<Map.Entry<String, Entry<V>>> eldest = entries.entrySet().iterator();
        while (others + keepAtMost > limitBytes && eldest.hasNext()) {
            Map.Entry<String, Entry<V>> e = eldest.next();
            if (keep.contains(e.getKey())) {
                continue;
            }
            evictor.evict(e.getKey(), e.getValue().value);
            bytes -= e.getValue().bytes;
            others -= e.getValue().bytes;
            eldest.remove();
            dropped++;
        }
        return dropped;
    }

    /** Every held stream, least recently used first; for writing all of them at a checkpoint. */
    public Iterable<Map.Entry<String, V>> all() {
        return () -> entries.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue().value)).iterator();
    }

    public long bytes() {
        return bytes;
    }

    public long limitBytes() {
        return limitBytes;
    }

    public int size() {
        return entries.size();
    }

    public void clear() {
        entries.clear();
        bytes = 0;
    }
}
