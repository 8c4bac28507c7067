package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.heads.Pooling;
import io.longnet.heads.TokenScorer;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokenize -> encode -> heads on their harnesses (RocksDB), two streams, with a checkpoint of all three
 * while documents are open, a restore and a replay; compared with one decoder pass per stream over
 * {@code SEP d1 SEP d2 ...}.
 */
class OperatorChainTest {

    private static final int CHUNK = 8;
    private static final long FLUSH_MS = 50;
    private static final int TOP_K = 2;
    private static final CorpusTokenizer TOKENIZER = CorpusTokenizer.cl100k();

    private static final List<Document> DOCS = List.of(
            new Document("a1", "Streams of documents become one long token sequence per stream.", "A", null),
            new Document("b1", "Bonjour", "B", null),
            new Document("a2", "Dilated attention keeps only a few rows of each open segment.", "A", null),
            new Document("b2", "A second document for stream B, long enough to cross a chunk.", "B", null),
            new Document("a3", "ok", "A", null),
            new Document("a4", "The last document of stream A is flushed by the timer.", "A", null));

    @TempDir
    static Path modelDir;
    static ModelDirectory model;

    @BeforeAll
    static void tinyModel() throws Exception {
        model = OpsTestSupport.tinyModel(modelDir);
    }

    /** The three operators of the job, fed one document at a time. */
    private static final class Chain implements AutoCloseable {
        final OpsTestSupport.Harness<SourcedDocument, StreamChunk> tokenize;
        final OpsTestSupport.Harness<StreamChunk, EncodedChunk> encode;
        final OpsTestSupport.Harness<EncodedChunk, EmbeddingOut> heads;
        final List<EmbeddingOut> embeddings = new ArrayList<>();
        final List<PredictionOut> predictions = new ArrayList<>();
        final List<StreamChunk> chunks = new ArrayList<>();

        Chain() throws Exception {
            tokenize = OpsTestSupport.keyed(new TokenizeAndChunk(CHUNK, FLUSH_MS, TOKENIZER), SourcedDocument::stream);
            encode = OpsTestSupport.keyed(new EncoderOperator(modelDir.toString(), TOP_K, true), StreamChunk::stream);
            heads = OpsTestSupport.keyed(new DocumentHeads(Pooling.MEAN, TOP_K, true), EncodedChunk::stream);
        }

        Chain open() throws Exception {
            tokenize.open();
            encode.open();
            heads.open();
            return this;
        }

        Chain restore(List<OperatorSubtaskState> snapshots) throws Exception {
            tokenize.restore(snapshots.get(0));
            encode.restore(snapshots.get(1));
            heads.restore(snapshots.get(2));
            return this;
        }

        void process(Document doc) throws Exception {
            tokenize.process(new SourcedDocument(doc, 0));
            propagate();
        }

        void setTime(long millis) throws Exception {
            tokenize.h().setProcessingTime(millis);
            propagate();
        }

        private void propagate() throws Exception {
            for (StreamChunk chunk : tokenize.drainOutput()) {
                chunks.add(chunk);
                encode.process(chunk);
            }
            for (EncodedChunk encoded : encode.drainOutput()) {
                heads.process(encoded);
            }
            embeddings.addAll(heads.drainOutput());
            Queue<StreamRecord<PredictionOut>> side = heads.h().getSideOutput(DocumentHeads.PREDICTIONS);
            if (side != null) { // null until the first prediction
                side.stream().map(StreamRecord::getValue).forEach(predictions::add);
                side.clear();
            }
        }

        List<OperatorSubtaskState> checkpoint(long id) throws Exception {
            return List.of(tokenize.checkpoint(id), encode.checkpoint(id), heads.checkpoint(id));
        }

        @Override
        public void close() throws Exception {
            tokenize.close();
            encode.close();
            heads.close();
        }
    }

    @Test
    void embeddingsAndPredictionsSurviveARestoreAndEqualOneDecoderPass() throws Exception {
        Chain uninterrupted = new Chain().open();
        uninterrupted.setTime(0);
        for (Document doc : DOCS) {
            uninterrupted.process(doc);
        }
        uninterrupted.setTime(FLUSH_MS);
        uninterrupted.close();

        int cut = 4;
        Chain restored;
        List<OperatorSubtaskState> snapshots;
        try (Chain first = new Chain().open()) {
            first.setTime(0);
            for (Document doc : DOCS.subList(0, cut)) {
                first.process(doc);
            }
            StreamChunk lastA = first.chunks.stream().filter(c -> c.stream().equals("A")).reduce((x, y) -> y)
                    .orElseThrow();
            assertThat(lastA.chunk().spans().get(lastA.chunk().spans().size() - 1).docEndsHere())
                    .as("the checkpoint falls inside a document of stream A").isFalse();
            snapshots = first.checkpoint(3);
            restored = new Chain(); // the sinks keep what was emitted up to the checkpoint
            restored.embeddings.addAll(first.embeddings);
            restored.predictions.addAll(first.predictions);
            first.process(DOCS.get(cut)); // lost with this instance; replayed below
        }
        restored.restore(snapshots);
        restored.setTime(0);
        for (Document doc : DOCS.subList(cut, DOCS.size())) {
            restored.process(doc);
        }
        restored.setTime(FLUSH_MS);
        restored.close();

        assertThat(restored.embeddings).isEqualTo(uninterrupted.embeddings);
        assertThat(restored.predictions).isEqualTo(uninterrupted.predictions);
        assertThat(uninterrupted.embeddings).extracting(EmbeddingOut::id)
                .containsExactlyInAnyOrderElementsOf(DOCS.stream().map(Document::id).toList());
        for (String stream : List.of("A", "B")) {
            checkAgainstOneDecoderPass(stream, uninterrupted);
        }
    }

    private static void checkAgainstOneDecoderPass(String stream, Chain run) {
        List<Document> docs = DOCS.stream().filter(d -> d.stream().equals(stream)).toList();
        List<Integer> sequence = new ArrayList<>();
        for (Document doc : docs) {
            sequence.add(CorpusTokenizer.SEPARATOR_ID);
            Arrays.stream(TOKENIZER.encode(doc.text())).forEach(sequence::add);
        }
        int[] tokens = sequence.stream().mapToInt(Integer::intValue).toArray(); // [N]
        DecoderOutput whole = new StreamingDecoder(new LongNetDecoder(model.weights())).accept(tokens, true);
        float[] features = whole.featuresRowMajor(); // [N, E]
        float[] logits = whole.logitsRowMajor();     // [N, V]
        int e = model.config().embedDim();
        int vocab = model.config().vocabSize();
        long first = 1;
        for (Document doc : docs) {
            int n = TOKENIZER.encode(doc.text()).length;
            EmbeddingOut embedding = run.embeddings.stream().filter(o -> o.id().equals(doc.id())).findFirst()
                    .orElseThrow();
            PredictionOut prediction = run.predictions.stream().filter(o -> o.id().equals(doc.id())).findFirst()
                    .orElseThrow();
            assertThat(embedding.stream()).isEqualTo(stream);
            assertThat(embedding.firstPosition()).isEqualTo(first);
            assertThat(embedding.tokenCount()).isEqualTo(n);
            assertThat(embedding.model()).isEqualTo(model.fingerprint());
            double nllSum = 0;
            double[] mean = new double[e];
            for (long p = first; p < first + n; p++) {
                for (int d = 0; d < e; d++) {
                    mean[d] += features[(int) p * e + d] / (double) n;
                }
                nllSum += TokenScorer.nll(Arrays.copyOfRange(logits, (int) (p - 1) * vocab, (int) p * vocab),
                        tokens[(int) p]);
            }
            for (int d = 0; d < e; d++) {
                assertThat(embedding.vector()[d]).as("%s dim %d", doc.id(), d).isCloseTo((float) mean[d], within(1e-4f));
            }
            assertThat(prediction.meanNll()).as(doc.id()).isCloseTo(nllSum / n, within(1e-3));
            assertThat(prediction.perplexity()).isEqualTo(Math.exp(prediction.meanNll()));
            // every token is scored (a stream's first document's first one too, from the separator's row)
            assertThat(prediction.bitsPerByte()).as(doc.id())
                    .isCloseTo(nllSum / Math.log(2) / doc.text().getBytes(StandardCharsets.UTF_8).length, within(1e-3));
            int last = (int) (first + n - 1);
            int best = TokenScorer.topK(Arrays.copyOfRange(logits, last * vocab, (last + 1) * vocab), 1)[0].tokenId();
            assertThat(prediction.topNext()).hasSize(TOP_K);
            assertThat(prediction.topNext().get(0).id()).isEqualTo(best);
            first += n + 1;
        }
    }
}
