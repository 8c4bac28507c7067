package io.longnet.state;

import java.util.Map;

/**
 * Durable storage of one stream's kept k/v rows: one map per branch, from a {@link KvPieces} key to the rows
 * of one piece. The Flink operator backs it with one keyed {@code MapState} per branch (RocksDB), so that a
 * closed segment is dropped by clearing one map; tests may back it with plain maps.
 */
public interface KvStore {

    /**
     * Every piece stored for {@code branch}, in ascending key order (so each (layer, head)'s pieces come by first
     * row), read lazily. RocksDB's {@code MapState} iterates so: a {@code Long} key serializes big-endian and
     * piece keys are non-negative.
     */
    Iterable<Map.Entry<Long, byte[]>> pieces(int branch) throws Exception;

    /** Stores one piece; a key is written once and never rewritten while its segment is open. */
    void put(int branch, long key, byte[] rows) throws Exception;

    /** Drops every piece of {@code branch} (its segment closed). */
    void clear(int branch) throws Exception;
}
