package io.longnet.job;

import java.util.Collection;
import java.util.List;
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
 * 1.89 times (compactions' outputs uploaded again), against 0.09 and 0.83 with 32 files ({@code bench-pipeline}).
 * Waiting for about 32 files makes each compaction carry that many checkpoints of new rows against the same level
 * 1, and rows of segments that close within that time (their maps are cleared) are dropped in level 0 without ever
 * being rewritten.
 *
 * <p>Why the column families wait for different counts ({@link #LEVEL0_COMPACTION_TRIGGERS}, about 32 on average):
 * every checkpoint adds a level-0 file to each column family that changed, and the encoder's branch maps all change
 * at every checkpoint, so with one count for all they all compacted at the same checkpoint, and the next checkpoint
 * uploaded all their outputs at once: 150 to 525 MB every 30 s for the docker model at 1 s checkpoints, each time
 * checkpoints of 1 to 1.8 s and exactly-once outputs up to 5 s late ({@code bench-latency --timeline}). With
 * distinct primes two maps that flush at every checkpoint reach their counts at the same checkpoint only about every
 * product of the two (667 checkpoints or more): in three five-minute runs no 10 s window uploaded more than 170 MB
 * and the longest checkpoints were 0.85, 1.19 and 2.13 s.
 *
 * <p>How the counts are handed out: Flink makes one factory per task, and every RocksDB instance of the task's
 * chained operators asks it for the options of each column family it makes, its default column family and timer
 * queues included; a restore asks in another order. The counts go round in the order asked, so column families made
 * one after another get distinct counts, up to as many as the list holds: the encoder makes its branch maps one
 * after another (five for the docker and paper models). A model with more branches than the list shares counts, and
 * two subtasks of one operator compact at the same checkpoints; neither changes what is stored.
 *
 * <p>The cost: a read of a stream (a reload after eviction, a restore) merges up to that many more files, and level
 * 0 holds up to that many checkpoints of rows that a compaction would already have dropped. Writes are slowed and
 * stopped at RocksDB's usual distances above the trigger, so a compaction that falls behind still holds writers back.
 */
public final class KeyedStateRocksDbOptions implements RocksDBOptionsFactory {

    private static final long serialVersionUID = 1L;

    /**
     * Level-0 files that start a compaction of a column family, round robin in the order Flink asks for their
     * options (RocksDB's default is 4 for all). Distinct primes: two column families that flush at every checkpoint
     * compact at the same one only about every product of their counts.
     */
    public static final List<Integer> LEVEL0_COMPACTION_TRIGGERS = List.of(23, 29, 31, 37, 41);
    /** Level-0 files above a column family's trigger at which its writes are slowed (RocksDB's default: 16). */
    public static final int SLOWDOWN_ABOVE_TRIGGER = 16;
    /** Level-0 files above a column family's trigger at which its writes stop until a compaction is done (32). */
    public static final int STOP_ABOVE_TRIGGER = 32;

    private int optionsMade; // column families this factory gave options to: one factory per task

    @Override
    public DBOptions createDBOptions(DBOptions current, Collection<AutoCloseable> handlesToClose) {
        return current;
    }

    @Override
    public synchronized ColumnFamilyOptions createColumnOptions(ColumnFamilyOptions current,
            Collection<AutoCloseable> handlesToClose) {
        int trigger = LEVEL0_COMPACTION_TRIGGERS.get(optionsMade++ % LEVEL0_COMPACTION_TRIGGERS.size());
        return current.setLevel0FileNumCompactionTrigger(trigger)
                .setLevel0SlowdownWritesTrigger(trigger + SLOWDOWN_ABOVE_TRIGGER)
                .setLevel0StopWritesTrigger(trigger + STOP_ABOVE_TRIGGER);
    }
}
