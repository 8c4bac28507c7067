package io.longnet.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.text.Chunk;
import io.longnet.text.ChunkerConfig;
import io.longnet.text.CorpusTokenizer;
import io.longnet.text.DocSpan;
import io.longnet.text.StreamChunker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Chunker, scorer and accumulator wired the way the heads operator will wire them, on a fake
 * bigram "model", compared with a one-pass computation over the whole sequence.
 */
class ChunkedDocumentScoringTest {

    private static final int VOCAB = CorpusTokenizer.VOCABULARY_SIZE;
    private static final int DOC_TOKEN_RANGE = 50;
    private static final int E = 2;

    private final Map<Integer, float[]> rowCache = new HashMap<>();

    @Test
    void perDocumentResultsMatchTheWholeSequence() {
        Random random = new Random(11);
        for (int trial = 0; trial < 8; trial++) {
            int chunkSize = 2 + random.nextInt(9);
            List<int[]> docs = new ArrayList<>();
            for (int d = 0; d < 12; d++) {
                docs.add(random.ints(1 + random.nextInt(random.nextBoolean() ? 2 : 12), 0, DOC_TOKEN_RANGE).toArray());
            }
            checkAgainstWholeSequence(docs, chunkSize, random);
        }
    }

    private void checkAgainstWholeSequence(List<int[]> docs, int chunkSize, Random timer) {
        Set<Long> chunkStarts = new HashSet<>();
        List<DocumentResult> results = runStreaming(docs, chunkSize, chunkStarts, timer);
        List<Integer> sequence = separatedSequence(docs);
        assertThat(results).hasSize(docs.size());
        long docFirst = 1;
        for (int d = 0; d < docs.size(); d++) {
            DocumentResult result = results.get(d);
            assertThat(chunkStarts).as("the first token of a document is scored in its chunk").doesNotContain(docFirst);
            assertThat(result.docId()).isEqualTo("doc-" + d);
            assertThat(result.firstPosition()).isEqualTo(docFirst);
            assertThat(result.tokenCount()).isEqualTo(docs.get(d).length);
            assertThat(result.meanNll()).isCloseTo(batchMeanNll(sequence, docFirst, docs.get(d).length, chunkStarts),
                    within(1e-9));
            assertThat(result.embedding()).containsExactly(batchMeanFeatures(sequence, docFirst, docs.get(d).length));
            double bitsPerByte = batchBitsPerByte(sequence, docFirst, docs.get(d).length, byteCount(d, docs.get(d)),
                    chunkStarts);
            if (Double.isNaN(bitsPerByte)) {
                assertThat(result.bitsPerByte()).as("bits per byte of doc-%d", d).isNaN();
            } else {
                assertThat(result.bitsPerByte()).as("bits per byte of doc-%d", d).isCloseTo(bitsPerByte, within(1e-9));
            }
            docFirst += docs.get(d).length + 1;
        }
    }

    /** What the operators do: chunk, score each chunk, feed each document's pieces to its accumulator. */
    private List<DocumentResult> runStreaming(List<int[]> docs, int chunkSize, Set<Long> chunkStarts, Random timer) {
        StreamChunker chunker = new StreamChunker(new ChunkerConfig(chunkSize, CorpusTokenizer.SEPARATOR_ID));
        Map<String, DocumentAccumulator> open = new HashMap<>();
        List<DocumentResult> results = new ArrayList<>();
        for (int d = 0; d < docs.size(); d++) {
            chunker.append("doc-" + d, docs.get(d), byteCount(d, docs.get(d)), DocSpan.NO_TIMESTAMP);
            List<Chunk> chunks = new ArrayList<>(chunker.drainFull());
            if (timer.nextInt(3) == 0 || d == docs.size() - 1) { // the latency timer fires now and then
                chunker.flush().ifPresent(chunks::add);
            }
            for (Chunk chunk : chunks) {
                chunkStarts.add(chunk.firstPosition());
                processChunk(chunk, open, results);
            }
        }
        assertThat(open).isEmpty();
        return results;
    }

    private void processChunk(Chunk chunk, Map<String, DocumentAccumulator> open, List<DocumentResult> results) {
        int[] tokens = chunk.tokens(); // [n]
        double[] nll = TokenScorer.nll(i -> logitsAfter(tokens[i]), tokens); // [n]
        float[] features = features(chunk); // [n, E]
        for (DocSpan span : chunk.spans()) {
            DocumentAccumulator acc = open.computeIfAbsent(span.docId(), id ->
                    new DocumentAccumulator(id, span.docFirstPosition(), span.docTokenCount(), span.docByteCount(),
                            Pooling.MEAN, E));
            acc.addFeatureRows(features, span.offsetInChunk(), span.countInChunk());
            int from = Math.max(1, span.offsetInChunk()); // row 0's token was predicted by the previous chunk
            acc.addNll(nll, from, span.offsetInChunk() + span.countInChunk() - from);
            if (span.docEndsHere()) {
                results.add(open.remove(span.docId()).finish());
            }
        }
    }

    /** Fake model: the logits after a token depend only on that token; ids beyond the doc range get 0. */
    private float[] logitsAfter(int token) {
        return rowCache.computeIfAbsent(token, t -> {
            float[] row = new float[VOCAB]; // [V]
            for (int v = 0; v < DOC_TOKEN_RANGE; v++) {
                row[v] = ((t * 31 + v * 17) % 13) / 2f;
            }
            return row;
        });
    }

    /** Fake features of position p holding token t: [t, p mod 7]. */
    private static float[] features(Chunk chunk) {
        float[] features = new float[chunk.length() * E]; // [n, E]
        for (int i = 0; i < chunk.length(); i++) {
            features[i * E] = chunk.tokens()[i] % 1000;
            features[i * E + 1] = (chunk.firstPosition() + i) % 7;
        }
        return features;
    }

    private double batchMeanNll(List<Integer> sequence, long docFirst, int count, Set<Long> chunkStarts) {
        double sum = 0;
        int scored = 0;
        for (long p = docFirst; p < docFirst + count; p++) {
            if (!chunkStarts.contains(p)) {
                sum += TokenScorer.nll(logitsAfter(sequence.get((int) p - 1)), sequence.get((int) p));
                scored++;
            }
        }
        return sum / scored;
    }

    /** Even documents have one byte per token, odd ones two. */
    private static int byteCount(int d, int[] doc) {
        return (d % 2 == 0 ? 1 : 2) * doc.length;
    }

    /**
     * NLL sum of the scored tokens / ln 2 / their bytes; where a token is unscored (a chunk starts at it) only known
     * with one byte per token, NaN otherwise.
     */
    private double batchBitsPerByte(List<Integer> sequence, long docFirst, int count, int bytes,
            Set<Long> chunkStarts) {
        double sum = 0;
        int scored = 0;
        for (long p = docFirst; p < docFirst + count; p++) {
            if (!chunkStarts.contains(p)) {
                sum += TokenScorer.nll(logitsAfter(sequence.get((int) p - 1)), sequence.get((int) p));
                scored++;
            }
        }
        if (scored == count) {
            return sum / Math.log(2) / bytes;
        }
        return bytes == count ? sum / Math.log(2) / scored : Double.NaN;
    }

    private static float[] batchMeanFeatures(List<Integer> sequence, long docFirst, int count) {
        double tokenSum = 0;
        double positionSum = 0;
        for (long p = docFirst; p < docFirst + count; p++) {
            tokenSum += sequence.get((int) p);
            positionSum += p % 7;
        }
        return new float[] {(float) (tokenSum / count), (float) (positionSum / count)};
    }

    private static List<Integer> separatedSequence(List<int[]> docs) {
        List<Integer> sequence = new ArrayList<>();
        for (int[] doc : docs) {
            sequence.add(CorpusTokenizer.SEPARATOR_ID);
            for (int t : doc) {
                sequence.add(t);
            }
        }
        return sequence;
    }
}
