package io.longnet.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.StateBackendLoader;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.RocksDB;
import org.slf4j.LoggerFactory;

class KeyedStateRocksDbOptionsTest {

    /** The job's configuration, as the TaskManagers load a state backend from it, names these options. */
    @Test
    void theJobsStateBackendIsRocksDbWithTheseOptions() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        CorpusJob.configureCheckpoints(env, JobConfig.fromMap(Map.of("bootstrap-servers", "broker:9092",
                "model", "/models/m")));
        StateBackend backend = StateBackendLoader.loadStateBackendFromConfig(env.getConfiguration(),
                getClass().getClassLoader(), LoggerFactory.getLogger(getClass()));
        assertThat(backend).isInstanceOf(EmbeddedRocksDBStateBackend.class);
        assertThat(((EmbeddedRocksDBStateBackend) backend).getRocksDBOptions())
                .isInstanceOf(KeyedStateRocksDbOptions.class);
    }

    /** Each column family asked for takes the next count: five made one after another compact at five counts. */
    @Test
    void columnFamiliesCompactAtDistinctPrimeCountsInTurnWithWritesSlowedAndStoppedAbove() {
        RocksDB.loadLibrary();
        List<AutoCloseable> handles = new ArrayList<>();
        KeyedStateRocksDbOptions factory = new KeyedStateRocksDbOptions();
        List<Integer> triggers = new ArrayList<>();
        for (int family = 0; family < 7; family++) {
            try (ColumnFamilyOptions defaults = new ColumnFamilyOptions()) {
                assertThat(defaults.level0FileNumCompactionTrigger()).as("RocksDB's default").isEqualTo(4);
                ColumnFamilyOptions options = factory.createColumnOptions(defaults, handles);
                int trigger = options.level0FileNumCompactionTrigger();
                triggers.add(trigger);
                assertThat(options.level0SlowdownWritesTrigger()).isEqualTo(trigger + 16);
                assertThat(options.level0StopWritesTrigger()).isEqualTo(trigger + 32);
            }
        }
        assertThat(triggers).containsExactly(23, 29, 31, 37, 41, 23, 29);
    }
}
