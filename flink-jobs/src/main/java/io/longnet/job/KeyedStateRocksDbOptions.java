package io.longnet.job;

import java.util.Collection;
import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;

/**
 * RocksDB settings for the job's keyed state, set by {@code state.backend.rocksdb.options-factory}: fewer, larger
 * compactions, so that short checkpoint intervals do not multiply the bytes written to disk.
 *
 * <p>Why: an incremental checkpoint flushes every column family's memtable into a new level-0 file, and uploads
 * every SST file it has not uploaded before, compaction outputs included. With RocksDB's default of 4 level-0 files
 * per compaction, a column family is compacted every 4 checkpoints, and each compaction rewrites the whole of its
 * level 1: a stream's new k/v pieces are appended inside every (layer, head) key range of its map, so the new files
 * overlap all of level 1 (see {@code operators/STATE-FORMAT.md}). Level 1 holds the open segments' kept rows, up to
 * w_max tokens' worth: at a 2 s interval the compactions wrote 0.94 times the new kept rows, and the uploads
 * 1.89 times (compactions' outputs uploaded again), against 0.09 and 0.83 with this setting ({@code bench-pipeline}).
 * Waiting for {@value #LEVEL0_COMPACTION_TRIGGER} files makes each compaction carry that many checkpoints of new
 * rows against the same level 1, and rows of segments that close within that time (their maps are cleared) are
 * dropped in level 0 without ever being rewritten.
 *
 * <p>The cost: a read of a stream (a reload after eviction, a restore) merges up to that many more files, and level
 * 0 holds up to that many checkpoints of rows that a compaction would already have dropped. Writes are slowed and
 * stopped at RocksDB's usual distances above the trigger, so a compaction that falls behind still holds writers back.
 */
public final class KeyedStateRocksDbOptions implements RocksDBOptionsFactory {

    private static final long serialVersionUID = 1L;

    /** Level-0 files that start a compaction of a column family (RocksDB's default is 4). */
    public static final int LEVEL0_COMPACTION_TRIGGER = 32;
    /** Level-0 files at which writes are slowed (RocksDB's default is 20, 16 above its trigger). */
    public static final int LEVEL0_SLOWDOWN_TRIGGER = LEVEL0_COMPACTION_TRIGGER + 16;
    /** Level-0 files at which writes stop until a compaction is done (RocksDB's default is 36, 32 above). */
    public static final int LEVEL0_STOP_TRIGGER = LEVEL0_COMPACTION_TRIGGER + 32;

    @Override
    public DBOptions createDBOptions(DBOptions current, Collection<AutoCloseable> handlesToClose) {
        return current;
    }

    @Override
    public ColumnFamilyOptions createColumnOptions(ColumnFamilyOptions current,
            Collection<AutoCloseable> handlesToClose) {
        return current.setLevel0FileNumCompactionTrigger(LEVEL0_COMPACTION_TRIGGER)
                .setLevel0SlowdownWritesTrigger(LEVEL0_SLOWDOWN_TRIGGER)
                .setLevel0StopWritesTrigger(LEVEL0_STOP_TRIGGER);
    }
}
