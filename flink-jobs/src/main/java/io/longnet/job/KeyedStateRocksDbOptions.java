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
 * Waiting for about 32 files makes each compaction carry that many checkpoints of new rows against the same level
 * 1, and rows of segments that close within that time (their maps are cleared) are dropped in level 0 without ever
 * being rewritten.
 *
 * <p>Why the column families wait for different counts ({@link #LEVEL0_COMPACTION_TRIGGERS}, 32 on average): every
 * checkpoint adds a level-0 file to each column family that changed, and the encoder's branch maps all change at
 * every checkpoint, so with one count for all they all compacted at the same checkpoint, and the next checkpoint
 * uploaded all their outputs at once: 150 to 525 MB every 30 s for the docker model at 1 s checkpoints, each time
 * checkpoints of 1 to 1.8 s and exactly-once outputs up to 5 s late ({@code bench-latency --timeline}). With
 * distinct primes two maps that flush at every checkpoint reach their counts at the same checkpoint only about every
 * product of the two (667 checkpoints or more): in the same runs no 10 s window uploaded more than 170 MB, and no
 * checkpoint took more than 0.9 s in two runs of three (2.1 s in the third).
 *
 * <p>The cost: a read of a stream (a reload after eviction, a restore) merges up to that many more files, and level
 * 0 holds up to that many checkpoints of rows that a compaction would already have dropped. Writes are slowed and
 * stopped at RocksDB's usual distances above the trigger, so a compaction that falls behind still holds writers back.
 */
public final class KeyedStateRocksDbOptions implements RocksDBOptionsFactory {

    private static final long serialVersionUID = 1L;

    /**
     * Level-0 files that start a compaction of a column family, by the order in which this backend creates them,
     * round robin (RocksDB's default is 4 for all). Distinct primes: two column families that flush at every
     * checkpoint compact at the same one only every product of their counts.
     */
    public static final int[] LEVEL0_COMPACTION_TRIGGERS = {23, 29, 31, 37, 41};
    /** Level-0 files above a column family's trigger at which its writes are slowed (RocksDB's default: 16). */
    public static final int SLOWDOWN_ABOVE_TRIGGER = 16;
    /** Level-0 files above a column family's trigger at which its writes stop until a compaction is done (32). */
    public static final int STOP_ABOVE_TRIGGER = 32;

    private int columnFamiliesCreated; // by this instance: each state backend deserializes its own

    @Override
    public DBOptions createDBOptions(DBOptions current, Collection<AutoCloseable> handlesToClose) {
        return current;
    }

    @Override
    public synchronized ColumnFamilyOptions createColumnOptions(ColumnFamilyOptions current,
            Collection<AutoCloseable> handlesToClose) {
        int trigger = LEVEL0_COMPACTION_TRIGGERS[columnFamiliesCreated++ % LEVEL0_COMPACTION_TRIGGERS.length];
        return current.setLevel0FileNumCompactionTrigger(trigger)
                .setLevel0SlowdownWritesTrigger(trigger + SLOWDOWN_ABOVE_TRIGGER)
                .setLevel0StopWritesTrigger(trigger + STOP_ABOVE_TRIGGER);
    }
}
