package io.longnet.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelInit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class KvPersistenceTest {

    /**
     * Branch 0 keeps up to 600 rows per head (more than two blocks); branch 1 has r not dividing w and more
     * dilation than heads; branch 2 closes often. Tiny E so that 1,500 tokens run in a second.
     */
    static final ModelConfig CONFIG = ModelConfigJson.parse("{\"vocab_size\": 40, \"decoder_embed_dim\": 8, "
            + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 16, \"decoder_layers\": 2, "
            + "\"segment_length\": [600, 500, 37], \"dilated_ratio\": [1, 3, 2]}");

    /** A KvStore of plain maps that remembers every write, to check that nothing is rewritten. */
    static final class RecordingStore implements KvStore {
        final List<Map<Long, byte[]>> maps = new ArrayList<>();
        final List<Set<Long>> writtenSinceClear = new ArrayList<>();
        long bytesPut;
        int largestPieceRows;

        RecordingStore(int branches) {
            for (int b = 0; b < branches; b++) {
                maps.add(new TreeMap<>()); // key order, as RocksDB's MapState iterates
                writtenSinceClear.add(new HashSet<>());
            }
        }

        @Override
        public Iterable<Map.Entry<Long, byte[]>> pieces(int branch) {
            return maps.get(branch).entrySet();
        }

        @Override
        public void put(int branch, long key, byte[] rows) {
            assertThat(writtenSinceClear.get(branch).add(key)).as("piece %x of branch %d rewritten", key, branch)
                    .isTrue();
            int first = KvPieces.firstRow(key);
            int m = KvPieces.rows(rows, CONFIG.headDim());
            assertThat(first / KvPieces.BLOCK_ROWS).as("piece inside one block")
                    .isEqualTo((first + m - 1) / KvPieces.BLOCK_ROWS);
            largestPieceRows = Math.max(largestPieceRows, m);
            maps.get(branch).put(key, rows);
            bytesPut += rows.length;
        }

        @Override
        public void clear(int branch) {
            maps.get(branch).clear();
            writtenSinceClear.get(branch).clear();
        }
    }

    /** CONFIG with xPos: keys are stored rotated and unscaled, and must come back so. */
    static final ModelConfig CONFIG_XPOS = ModelConfigJson.parse("{\"vocab_size\": 40, \"decoder_embed_dim\": 8, "
            + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 16, \"decoder_layers\": 2, "
            + "\"segment_length\": [600, 500, 37], \"dilated_ratio\": [1, 3, 2], \"xpos_rel_pos\": true, "
            + "\"xpos_scale_base\": 64}");

    /**
     * Two streams over the same tokens in the same chunks: one never leaves memory, the other is written at
     * random points and, now and then, rebuilt from the store alone. Their outputs are bit for bit equal, with
     * and without xPos, also after both restart their context mid-stream (C > 0) over a store that still holds
     * the earlier context's rows (a STALE write must drop them).
     */
    @Test
    void writesAtRandomPointsAndRestoresAtRandomPointsGiveTheUninterruptedOutputs() throws Exception {
        for (ModelConfig config : List.of(CONFIG, CONFIG_XPOS)) {
            writesAndRestoresAtRandomPoints(config);
        }
    }

    private static void writesAndRestoresAtRandomPoints(ModelConfig config) throws Exception {
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(config, 3));
        KvPersistence persistence = new KvPersistence(config);
        Random rnd = new Random(5);
        int[] tokens = rnd.ints(1500, 0, config.vocabSize()).toArray();
        for (int trial = 0; trial < 3; trial++) {
            RecordingStore store = new RecordingStore(config.schedule().size());
            StreamingDecoder uninterrupted = new StreamingDecoder(decoder);
            StreamingDecoder stream = new StreamingDecoder(decoder);
            long writtenAt = KvPersistence.NEVER_WRITTEN;
            int restores = 0;
            long contextStart = 0;
            int restartAfter = 400 + rnd.nextInt(600);
            for (int p = 0; p < tokens.length; ) {
                if (contextStart == 0 && p >= restartAfter) {
                    contextStart = p; // both restart their context here; the store still holds the old rows
                    uninterrupted = new StreamingDecoder(decoder);
                    uninterrupted.state().restorePosition(p, p);
                    stream = new StreamingDecoder(decoder);
                    stream.state().restorePosition(p, p);
                    writtenAt = KvPersistence.STALE;
                }
                int[] chunk = Arrays.copyOfRange(tokens, p, Math.min(tokens.length, p + 1 + rnd.nextInt(300)));
                assertThat(stream.accept(chunk, false).featuresRowMajor())
                        .as("trial %d, positions %d..%d after %d restores", trial, p, p + chunk.length, restores)
                        .containsExactly(uninterrupted.accept(chunk, false).featuresRowMajor());
                p += chunk.length;
                if (rnd.nextInt(3) > 0) {
                    persistence.write(stream.state(), writtenAt, store);
                    writtenAt = p;
                    if (rnd.nextBoolean()) {
                        stream = new StreamingDecoder(decoder);
                        persistence.read(stream.state(), contextStart, p, store);
                        restores++;
                    }
                }
            }
            assertThat(restores).isPositive();
            assertThat(contextStart).isPositive();
            assertThat(store.largestPieceRows).as("pieces of several rows, never past a block")
                    .isBetween(2, KvPieces.BLOCK_ROWS);
        }
    }

    /** Only what is new reaches the store: two writes 200 tokens apart inside one segment put 200 tokens' rows. */
    @Test
    void aWriteStoresExactlyTheRowsAddedSinceThePreviousOne() throws Exception {
        ModelConfig oneBranch = ModelConfigJson.parse("{\"vocab_size\": 40, \"decoder_embed_dim\": 8, "
                + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 16, \"decoder_layers\": 3, "
                + "\"segment_length\": [4096, 4096], \"dilated_ratio\": [1, 4]}");
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(oneBranch, 1));
        KvPersistence persistence = new KvPersistence(oneBranch);
        StreamingDecoder stream = new StreamingDecoder(decoder);
        RecordingStore store = new RecordingStore(2);
        int[] tokens = new Random(2).ints(1000, 0, 40).toArray();
        stream.accept(Arrays.copyOf(tokens, 800), false);
        persistence.write(stream.state(), KvPersistence.NEVER_WRITTEN, store);
        long first = store.bytesPut;
        stream.accept(Arrays.copyOfRange(tokens, 800, 1000), false);
        persistence.write(stream.state(), 800, store);
        // per token: 3 layers x (E / 1 + E / 4) floats of keys and as many of values
        assertThat(persistence.newRowBytesPerToken()).isEqualTo(3 * 2 * (8 + 2) * 4.0);
        assertThat(store.bytesPut - first).isEqualTo((long) (200 * persistence.newRowBytesPerToken()));
        assertThat(first).isEqualTo((long) (800 * persistence.newRowBytesPerToken()));
    }

    /** A restore appends each piece before it asks the store for the next: a branch's bytes are never held whole. */
    @Test
    void aRestoreHoldsOnePieceAtATime() throws Exception {
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(CONFIG, 3));
        KvPersistence persistence = new KvPersistence(CONFIG);
        StreamingDecoder stream = new StreamingDecoder(decoder);
        stream.accept(new Random(6).ints(580, 0, 40).toArray(), false); // branch 0 holds 3 blocks per head
        RecordingStore store = new RecordingStore(3);
        persistence.write(stream.state(), KvPersistence.NEVER_WRITTEN, store);
        StreamingDecoder back = new StreamingDecoder(decoder);
        int[] checked = new int[1];
        KvStore oneAtATime = new KvStore() {
            @Override
            public Iterable<Map.Entry<Long, byte[]>> pieces(int branch) {
                Iterator<Map.Entry<Long, byte[]>> all = store.maps.get(branch).entrySet().iterator();
                return () -> new Iterator<>() {
                    Map.Entry<Long, byte[]> previous;

                    @Override
                    public boolean hasNext() {
                        return all.hasNext();
                    }

                    @Override
                    public Map.Entry<Long, byte[]> next() {
                        if (previous != null) {
                            long key = previous.getKey();
                            int end = KvPieces.firstRow(key) + KvPieces.rows(previous.getValue(), CONFIG.headDim());
                            assertThat(back.state().layer(KvPieces.layer(key)).rows(branch, KvPieces.head(key)))
                                    .as("piece %x appended before the next is read", key).isEqualTo(end);
                            checked[0]++;
                        }
                        previous = all.next();
                        return previous;
                    }
                };
            }

            @Override
            public void put(int branch, long key, byte[] rows) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void clear(int branch) {
                throw new UnsupportedOperationException();
            }
        };
        persistence.read(back.state(), 0, 580, oneAtATime);
        assertThat(checked[0]).isGreaterThan(12);
        int[] next = new Random(7).ints(20, 0, 40).toArray();
        assertThat(back.accept(next, false).featuresRowMajor())
                .containsExactly(stream.accept(next, false).featuresRowMajor());
    }

    @Test
    void rowsAtCountsTheKeptRowsOfTheOpenSegmentFromTheContextStart() {
        KvPersistence persistence = new KvPersistence(CONFIG);
        // branch 1: w = 500, r = 3, 2 heads: offsets 0 and 1 (torchscale: G = ceil(2/3) = 1, o_h = h)
        assertThat(persistence.rowsAt(0, 0, 1, 0)).isZero();
        assertThat(persistence.rowsAt(0, 1, 1, 0)).isEqualTo(1);
        assertThat(persistence.rowsAt(0, 1, 1, 1)).isZero();
        assertThat(persistence.rowsAt(0, 500, 1, 0)).isZero();      // the segment closed
        assertThat(persistence.rowsAt(0, 507, 1, 0)).isEqualTo(3);  // local rows 0, 3, 6
        assertThat(persistence.rowsAt(0, 507, 1, 1)).isEqualTo(2);  // local rows 1, 4
        assertThat(persistence.rowsAt(504, 507, 1, 0)).isEqualTo(1); // local row 6 only
        assertThat(persistence.rowsAt(0, 499, 0, 0)).isEqualTo(499);
    }

    @Test
    void piecesThatDoNotCoverThePositionAreRefusedNamingTheHead() throws Exception {
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(CONFIG, 3));
        KvPersistence persistence = new KvPersistence(CONFIG);
        StreamingDecoder stream = new StreamingDecoder(decoder);
        stream.accept(new Random(1).ints(100, 0, 40).toArray(), false);
        RecordingStore store = new RecordingStore(3);
        persistence.write(stream.state(), KvPersistence.NEVER_WRITTEN, store);
        assertThatThrownBy(() -> persistence.read(new StreamingDecoder(decoder).state(), 0, 101, store))
                .hasMessageContainingAll("layer 0 branch 0 head 0", "holds 100 rows", "position 101 keeps 101");
        store.maps.get(2).remove(KvPieces.key(1, 1, 0));
        assertThatThrownBy(() -> persistence.read(new StreamingDecoder(decoder).state(), 0, 100, store))
                .hasMessageContainingAll("layer 1 branch 2 head 1", "holds 0 rows");
    }

    @Test
    void aContextRestartedMidStreamKeepsOnlyRowsFromItsStart() throws Exception {
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(CONFIG, 3));
        KvPersistence persistence = new KvPersistence(CONFIG);
        StreamingDecoder restarted = new StreamingDecoder(decoder);
        restarted.state().restorePosition(1210, 1210);
        restarted.accept(new Random(3).ints(50, 0, 40).toArray(), false);
        RecordingStore store = new RecordingStore(3);
        persistence.write(restarted.state(), KvPersistence.STALE, store);
        StreamingDecoder back = new StreamingDecoder(decoder);
        persistence.read(back.state(), 1210, 1260, store);
        int[] next = new Random(4).ints(30, 0, 40).toArray();
        assertThat(back.accept(next, false).featuresRowMajor())
                .containsExactly(restarted.accept(next, false).featuresRowMajor());
    }
}
