package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.longnet.compute.EncoderThreads;
import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.heads.TokenScorer;
import io.longnet.model.ModelDirectory;
import io.longnet.text.Chunk;
import io.longnet.text.ChunkerConfig;
import io.longnet.text.CorpusTokenizer;
import io.longnet.text.DocSpan;
import io.longnet.text.StreamChunker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncoderOperatorTest {

    private static final int TOP_K = 3;

    @TempDir
    static Path modelDir;
    static ModelDirectory model;
    static List<StreamChunk> streamA;
    static List<StreamChunk> streamB;

    @BeforeAll
    static void tinyModelAndTwoStreams() throws Exception {
        model = OpsTestSupport.tinyModel(modelDir);
        streamA = chunks("A", 7, new int[] {5, 1, 12, 3, 9}, 1);
        streamB = chunks("B", 6, new int[] {4, 10, 2, 6}, 2);
    }

    /** Documents of random ordinary tokens, cut as the chunker cuts them, with a timer flush now and then. */
    static List<StreamChunk> chunks(String stream, int chunkSize, int[] docLengths, long seed) {
        Random random = new Random(seed);
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(chunkSize, CorpusTokenizer.SEPARATOR_ID));
        List<StreamChunk> out = new ArrayList<>();
        for (int d = 0; d < docLengths.length; d++) {
            int[] tokens = random.ints(docLengths[d], 0, 50_000).toArray();
            // Any byte count will do: the encoder passes it through to the heads unread.
            chunker.append(stream + "-doc" + d, tokens, tokens.length, DocSpan.NO_TIMESTAMP);
            chunker.drainFull().forEach(c -> out.add(new StreamChunk(stream, c)));
            if (d % 2 == 1 || d == docLengths.length - 1) {
                chunker.flush().ifPresent(c -> out.add(new StreamChunk(stream, c)));
            }
        }
        return out;
    }

    static OpsTestSupport.Harness<StreamChunk, EncodedChunk> harness(EncoderOperator operator) throws Exception {
        return OpsTestSupport.keyed(operator, StreamChunk::stream);
    }

    static List<StreamChunk> interleaved() {
        List<StreamChunk> all = new ArrayList<>();
        for (int i = 0; i < Math.max(streamA.size(), streamB.size()); i++) {
            if (i < streamA.size()) {
                all.add(streamA.get(i));
            }
            if (i < streamB.size()) {
                all.add(streamB.get(i));
            }
        }
        return all;
    }

    static List<EncodedChunk> encodeAll(EncoderOperator operator, List<StreamChunk> chunks) throws Exception {
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = harness(operator).open()) {
            for (StreamChunk c : chunks) {
                h.process(c);
            }
            return h.drainOutput();
        }
    }

    @Test
    void matchesOneDecoderPassOverTheWholeStream() throws Exception {
        List<EncodedChunk> out = encodeAll(new EncoderOperator(modelDir.toString(), TOP_K, true), streamA);

        int[] tokens = tokensOf(streamA); // [N]
        DecoderOutput whole = new StreamingDecoder(new LongNetDecoder(model.weights())).accept(tokens, true);
        float[] features = whole.featuresRowMajor(); // [N, E]
        float[] logits = whole.logitsRowMajor();     // [N, V]
        int e = model.config().embedDim();
        int vocab = model.config().vocabSize();
        assertThat(out).hasSize(streamA.size());
        for (EncodedChunk chunk : out) {
            assertThat(chunk.modelFingerprint()).isEqualTo(model.fingerprint());
            for (int i = 0; i < chunk.tokenCount(); i++) {
                int p = (int) chunk.firstPosition() + i;
                for (int d = 0; d < e; d++) {
                    assertThat(chunk.features()[i * e + d]).isCloseTo(features[p * e + d], within(1e-4f));
                }
                if (p == 0) {
                    assertThat(chunk.nll()[i]).isNaN();
                } else {
                    float[] previousRow = Arrays.copyOfRange(logits, (p - 1) * vocab, p * vocab); // [V]
                    assertThat(chunk.nll()[i]).as("position %d", p)
                            .isCloseTo(TokenScorer.nll(previousRow, tokens[p]), within(1e-3));
                }
            }
            List<DocSpan> ends = chunk.spans().stream().filter(DocSpan::docEndsHere).toList();
            assertThat(chunk.topNext()).hasSize(ends.size());
            for (DocSpan span : ends) {
                long last = span.docFirstPosition() + span.docTokenCount() - 1;
                float[] row = Arrays.copyOfRange(logits, (int) last * vocab, (int) (last + 1) * vocab); // [V]
                List<io.longnet.kafka.TopToken> top = chunk.topNextOf(span.docFirstPosition()).orElseThrow();
                io.longnet.heads.TopToken[] expected = TokenScorer.topK(row, TOP_K);
                assertThat(top).hasSize(TOP_K);
                for (int r = 0; r < TOP_K; r++) {
                    assertThat(top.get(r).id()).isEqualTo(expected[r].tokenId());
                    assertThat(top.get(r).text()).isEqualTo(CorpusTokenizer.cl100k().decode(expected[r].tokenId()));
                    assertThat(top.get(r).probability()).isCloseTo(expected[r].probability(), within(1e-4));
                }
            }
        }
    }

    /**
     * Checkpoint mid-stream, go on (that work is lost), restore, replay from the checkpoint: exactly the
     * outputs of an uninterrupted run, and each stream exactly what it gives alone (no leak between keys).
     */
    @Test
    void restoreFromACheckpointEqualsAnUninterruptedRun() throws Exception {
        List<StreamChunk> input = interleaved();
        List<EncodedChunk> uninterrupted = encodeAll(new EncoderOperator(modelDir.toString(), TOP_K, true), input);

        int cut = 5;
        List<EncodedChunk> outputs = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> first =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, true)).open()) {
            for (StreamChunk c : input.subList(0, cut)) {
                first.process(c);
            }
            outputs.addAll(first.drainOutput());
            snapshot = first.checkpoint(7);
            first.process(input.get(cut));
        }
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> second =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, true)).restore(snapshot)) {
            for (StreamChunk c : input.subList(cut, input.size())) {
                second.process(c);
            }
            outputs.addAll(second.drainOutput());
        }

        assertThat(outputs).isEqualTo(uninterrupted);
        List<EncodedChunk> aloneA = encodeAll(new EncoderOperator(modelDir.toString(), TOP_K, true), streamA);
        assertThat(uninterrupted.stream().filter(c -> c.stream().equals("A")).toList()).isEqualTo(aloneA);
    }

    /**
     * With a limit of unwritten rows below one chunk's (the tiny model adds 384 bytes of rows per token), streams
     * are written after their forwards, between checkpoints, rows of segments that then close included; a restore
     * from the checkpoint gives exactly the uninterrupted outputs all the same. At the default limit nothing is
     * written before the barrier.
     */
    @Test
    void streamsWrittenBetweenCheckpointsRestoreAsTheBarriersWrites() throws Exception {
        List<StreamChunk> input = interleaved();
        List<EncodedChunk> uninterrupted = encodeAll(new EncoderOperator(modelDir.toString(), TOP_K, true), input);
        int cut = 5;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> atDefault =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, true)).open()) {
            for (StreamChunk c : input.subList(0, cut)) {
                atDefault.process(c);
            }
            assertThat(atDefault.counter("bytesWrittenToState")).as("at the default limit").isZero();
        }
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> none = harness(unwrittenLimit(0)).open()) {
            for (StreamChunk c : input.subList(0, cut)) {
                none.process(c);
            }
            long beforeBarrier = none.counter("bytesWrittenToState");
            none.checkpoint(3);
            assertThat(none.counter("bytesWrittenToState"))
                    .as("a limit of 0 writes each stream after its forward: the barrier finds nothing left")
                    .isEqualTo(beforeBarrier).isPositive();
        }

        List<EncodedChunk> outputs = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> first = harness(unwrittenLimit(1_000)).open()) {
            for (StreamChunk c : input.subList(0, cut)) {
                first.process(c);
            }
            assertThat(first.counter("bytesWrittenToState")).as("written before any barrier").isPositive();
            outputs.addAll(first.drainOutput());
            snapshot = first.checkpoint(7);
            first.process(input.get(cut));
        }
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> second =
                harness(unwrittenLimit(1_000)).restore(snapshot)) {
            for (StreamChunk c : input.subList(cut, input.size())) {
                second.process(c);
            }
            outputs.addAll(second.drainOutput());
        }
        assertThat(outputs).isEqualTo(uninterrupted);
    }

    private static EncoderOperator unwrittenLimit(long bytes) {
        return new EncoderOperator(modelDir.toString(), TOP_K, true, EncoderOperator.DEFAULT_HOT_STATE_BYTES,
                ModelChange.FAIL, EncoderThreads.perSlotShare(), EncoderBatching.OFF, bytes);
    }

    /**
     * Memory for one stream only: every switch writes the other back and drops it, and its next chunk
     * rebuilds it from RocksDB. Outputs do not change, and the held bytes never pass the limit, not even while
     * a reloaded stream is encoded (the peak gauge is read right after each encode, before any write-back).
     */
    @Test
    void evictingHotStreamsChangesNothingAndTheLimitHolds() throws Exception {
        List<StreamChunk> input = interleaved();
        long limit = EncoderOperator.oneStreamBytes(model.config());
        List<EncodedChunk> out = new ArrayList<>();
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, true, limit)).open()) {
            for (StreamChunk c : input) {
                h.process(c);
                assertThat((Long) ((Gauge<?>) h.metric("hotStateBytes")).getValue()).isLessThanOrEqualTo(limit);
            }
            assertThat((Long) ((Gauge<?>) h.metric("hotStatePeakBytes")).getValue()).as("held at once, at any time")
                    .isPositive().isLessThanOrEqualTo(limit);
            out.addAll(h.drainOutput());
            // every switch between A and B evicts one and reloads the other (the first visit of B reloads nothing)
            int switches = 0;
            for (int i = 1; i < input.size(); i++) {
                switches += input.get(i).stream().equals(input.get(i - 1).stream()) ? 0 : 1;
            }
            assertThat(h.counter("hotStreamEvictions")).isEqualTo(switches);
            assertThat(h.counter("hotStreamReloads")).isEqualTo(switches - 1);
        }
        List<EncodedChunk> expected = encodeAll(new EncoderOperator(modelDir.toString(), TOP_K, true), input);
        assertThat(out).isEqualTo(expected);
    }

    /**
     * RESTART_STREAMS: the restored stream keeps its position, its context restarts there, and its chunks are
     * encoded by the new model as a stream whose context starts at that position.
     */
    @Test
    void restoringWithAnotherModelCanRestartEveryStreamAtItsPosition(@TempDir Path otherDir) throws Exception {
        ModelDirectory other = ModelDirectory.save(otherDir, io.longnet.model.ModelInit.random(model.config(), 98));
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, true)).open()) {
            h.process(streamA.get(0));
            h.process(streamA.get(1));
            snapshot = h.checkpoint(1);
        }
        List<EncodedChunk> out;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = harness(new EncoderOperator(otherDir.toString(),
                TOP_K, true, EncoderOperator.DEFAULT_HOT_STATE_BYTES, ModelChange.RESTART_STREAMS,
                io.longnet.compute.EncoderThreads.perSlotShare(), EncoderBatching.OFF)).restore(snapshot)) {
            for (StreamChunk c : streamA.subList(2, streamA.size())) {
                h.process(c);
            }
            out = h.drainOutput();
        }
        ChunkEncoder reference = new ChunkEncoder(new LongNetDecoder(other.weights()), other.fingerprint(), TOP_K, true,
                CorpusTokenizer.cl100k());
        EncoderStream restarted = reference.restartAt(streamA.get(2).chunk().firstPosition());
        for (int i = 2; i < streamA.size(); i++) {
            assertThat(out.get(i - 2)).isEqualTo(reference.encode("A", restarted, streamA.get(i).chunk()).chunk());
        }
        assertThat(out).allSatisfy(c -> assertThat(c.modelFingerprint()).isEqualTo(other.fingerprint()));
    }

    @Test
    void aHotStateLimitBelowOneStreamIsRefusedNamingBoth() throws Exception {
        long oneStream = EncoderOperator.oneStreamBytes(model.config());
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, true, oneStream - 1))) {
            assertThatThrownBy(h::open).hasStackTraceContaining("hot state memory " + (oneStream - 1))
                    .hasStackTraceContaining(oneStream + " bytes");
        }
    }

    @Test
    void restoringWithAnotherModelFailsNamingBothFingerprints(@TempDir Path otherDir) throws Exception {
        ModelDirectory other = ModelDirectory.save(otherDir,
                io.longnet.model.ModelInit.random(model.config(), 99));
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, true)).open()) {
            h.process(streamA.get(0));
            snapshot = h.checkpoint(1);
        }
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(otherDir.toString(), TOP_K, true))) {
            assertThatThrownBy(() -> h.restore(snapshot))
                    .hasStackTraceContaining(model.fingerprint()).hasStackTraceContaining(other.fingerprint())
                    .satisfies(e -> assertThat(ExceptionUtils.findThrowable(e, SuppressRestartsException.class))
                            .as("restarts suppressed: a restart would restore the same checkpoint and fail again")
                            .isPresent());
        }
    }

    @Test
    void stateIsWrittenOnlyAtCheckpointsAndOnlyForStreamsThatMoved() throws Exception {
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(modelDir.toString(), TOP_K, false)).open()) {
            for (StreamChunk c : streamA.subList(0, 3)) {
                h.process(c);
            }
            assertThat(h.counter("bytesWrittenToState")).isZero();
            assertThat(h.counter("tokensEncoded")).isEqualTo(tokensOf(streamA.subList(0, 3)).length);
            long kv = (Long) ((Gauge<?>) h.metric("kvStateBytes")).getValue();
            assertThat(kv).isPositive().isLessThanOrEqualTo(4 * model.config().maxStateFloats());
            assertThat(((Histogram) h.metric("chunkLatencyMillis")).getCount()).isEqualTo(3);

            h.h().prepareSnapshotPreBarrier(1);
            long written = h.counter("bytesWrittenToState");
            assertThat(written).isGreaterThan(kv); // kept k/v rows plus positions, headers and the last row
            h.h().snapshot(1, 1);
            h.h().prepareSnapshotPreBarrier(2);
            assertThat(h.counter("bytesWrittenToState")).as("nothing moved since checkpoint 1").isEqualTo(written);

            h.process(streamB.get(0));
            h.h().prepareSnapshotPreBarrier(3);
            assertThat(h.counter("bytesWrittenToState") - written).as("only stream B")
                    .isLessThan(written);
            assertThat(h.drainOutput()).allSatisfy(c -> {
                assertThat(c.nll()).isNull();
                assertThat(c.topNext()).isEmpty();
            });
        }
    }

    /**
     * A model whose embedding of one token id is NaN, held by one document only: that document fails alone,
     * whatever the chunk boundaries. The documents before it get the rows of a healthy run, those after it (in
     * the same chunk too) the rows of a stream whose context starts at its end, also across a checkpoint taken
     * while the stream skips the failed document's rest; two chunkings give the same failures and the same rows.
     */
    @Test
    void aNonFiniteTokenFailsOnlyItsDocumentWhateverTheChunking(@TempDir Path poisonedDir) throws Exception {
        int[] lengths = {5, 1, 12, 3, 9};
        List<StreamChunk> bySeven = chunks("A", 7, lengths, 1);
        List<StreamChunk> byFour = chunks("A", 4, lengths, 1);
        int[] tokens = tokensOf(bySeven); // [N]
        DocSpan doc2 = bySeven.stream().flatMap(c -> c.chunk().spans().stream())
                .filter(span -> span.docId().equals("A-doc2")).findFirst().orElseThrow();
        long doc2End = doc2.docFirstPosition() + doc2.docTokenCount();
        int poisonAt = (int) doc2.docFirstPosition() + 4;
        int poison = tokens[poisonAt];
        assertThat(Arrays.stream(tokens).filter(t -> t == poison).count()).as("token %d only once", poison)
                .isEqualTo(1);
        int cut = 0; // the checkpoint follows the chunk holding the poison, which ends inside doc2
        while (bySeven.get(cut).chunk().endPosition() <= poisonAt) {
            cut++;
        }
        assertThat(bySeven.get(cut).chunk().endPosition()).isLessThan(doc2End);
        ModelDirectory poisoned = OpsTestSupport.poisonedModel(poisonedDir, poison);

        List<EncodedChunk> sevens = new ArrayList<>();
        OperatorSubtaskState snapshot;
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(poisonedDir.toString(), TOP_K, true)).open()) {
            for (StreamChunk c : bySeven.subList(0, cut + 1)) {
                h.process(c);
            }
            sevens.addAll(h.drainOutput());
            snapshot = h.checkpoint(1);
            assertThat(h.counter("chunksFailed")).isEqualTo(1);
        }
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h =
                harness(new EncoderOperator(poisonedDir.toString(), TOP_K, true)).restore(snapshot)) {
            for (StreamChunk c : bySeven.subList(cut + 1, bySeven.size())) {
                h.process(c);
            }
            sevens.addAll(h.drainOutput());
        }
        List<EncodedChunk> fours = encodeAll(new EncoderOperator(poisonedDir.toString(), TOP_K, true), byFour);

        for (List<EncodedChunk> run : List.of(sevens, fours)) {
            assertThat(run.stream().flatMap(c -> c.failures().stream()).map(DocFailure::docFirstPosition))
                    .containsExactly(doc2.docFirstPosition());
            assertThat(run.stream().flatMap(c -> c.failures().stream()).map(DocFailure::reason))
                    .singleElement().asString().startsWith("encoder: ").contains("stream 'A'", "NaN");
        }
        int e = model.config().embedDim();
        float[] healthy = new StreamingDecoder(new LongNetDecoder(model.weights())).accept(tokens, false)
                .featuresRowMajor(); // [N, E]
        ChunkEncoder reference = new ChunkEncoder(new LongNetDecoder(poisoned.weights()), poisoned.fingerprint(),
                TOP_K, true, CorpusTokenizer.cl100k());
        float[] afterDoc2 = reference.encode("A", reference.restartAt(doc2End), new Chunk(doc2End,
                Arrays.copyOfRange(tokens, (int) doc2End, tokens.length), List.of())).chunk().features(); // [N', E]
        float[][] rowsBySeven = rows(sevens, tokens.length);
        float[][] rowsByFour = rows(fours, tokens.length);
        for (int p = 0; p < tokens.length; p++) {
            if (p >= doc2.docFirstPosition() - 1 && p < doc2End) {
                continue; // the failed document's rows, with its separator
            }
            float[] expected = p < doc2.docFirstPosition() ? Arrays.copyOfRange(healthy, p * e, (p + 1) * e)
                    : Arrays.copyOfRange(afterDoc2, (int) (p - doc2End) * e, (int) (p - doc2End + 1) * e);
            for (float[][] run : List.of(rowsBySeven, rowsByFour)) {
                for (int d = 0; d < e; d++) {
                    assertThat(run[p][d]).as("position %d", p).isCloseTo(expected[d], within(1e-4f));
                }
            }
        }
    }

    /** Feature rows [N][E] by stream position. */
    private static float[][] rows(List<EncodedChunk> chunks, int n) {
        float[][] rows = new float[n][];
        for (EncodedChunk c : chunks) {
            for (int i = 0; i < c.tokenCount(); i++) {
                rows[(int) c.firstPosition() + i] = Arrays.copyOfRange(c.features(), i * c.embedDim(),
                        (i + 1) * c.embedDim());
            }
        }
        return rows;
    }

    /** Positions are tracked for the first streams only (they have gauges): nothing grows per stream ever seen. */
    @Test
    void positionsAreKeptOnlyForTheStreamsWithAGauge() throws Exception {
        EncoderOperator operator = new EncoderOperator(modelDir.toString(), 0, false);
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = harness(operator).open()) {
            for (int s = 0; s < EncoderOperator.STREAM_METRICS_LIMIT + 30; s++) {
                h.process(chunks("S" + s, 4, new int[] {2}, s).get(0));
            }
            assertThat(operator.trackedPositions()).isEqualTo(EncoderOperator.STREAM_METRICS_LIMIT);
        }
    }

    @Test
    void aMissingModelIsNamedWhenTheOperatorOpens() throws Exception {
        String missing = modelDir.resolve("no-such-model").toString();
        try (OpsTestSupport.Harness<StreamChunk, EncodedChunk> h = harness(new EncoderOperator(missing, 1, true))) {
            assertThatThrownBy(h::open).hasStackTraceContaining(missing);
        }
    }

    static int[] tokensOf(List<StreamChunk> chunks) {
        return chunks.stream().map(StreamChunk::chunk).map(Chunk::tokens).flatMapToInt(Arrays::stream).toArray();
    }
}
