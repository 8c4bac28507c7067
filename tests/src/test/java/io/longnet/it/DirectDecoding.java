package io.longnet.it;

import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.kafka.Document;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The slow, obvious path the pipeline must agree with: each stream's documents as one token sequence
 * {@code SEP d1 SEP d2 ...} (the model's tokenizer) through {@link StreamingDecoder} directly, no Kafka, no Flink,
 * no chunker. Per
 * document: the mean of its feature rows, the mean over its tokens of -ln softmax(row before)[token], their sum in
 * bits per UTF-8 byte of its text, and the softmax of its last row for the next token.
 */
final class DirectDecoding {

    /** Decoder steps of this many tokens: small enough to keep one step's logits in memory. */
    private static final int STEP = 128;

    /**
     * What the pipeline should write for one document.
     *
     * @param embedding  [E] mean of the document's feature rows
     * @param meanNll    mean NLL over all its tokens, in nats
     * @param bitsPerByte NLL sum over all its tokens / ln 2 / the UTF-8 bytes of its text
     * @param nextProbs  [V] probabilities of the next token after its last token
     */
    record Expected(String id, String stream, long firstPosition, int tokenCount, float[] embedding, double meanNll,
                    double bitsPerByte, double[] nextProbs) {
    }

    private record Span(String id, String stream, int first, int count, int utf8Bytes) {
    }

    private DirectDecoding() {
    }

    /** Expected outputs by document id; {@code docs} in their order per stream. */
    static Map<String, Expected> run(ModelDirectory model, List<Document> docs) {
        Map<String, List<Document>> streams = new LinkedHashMap<>();
        docs.forEach(d -> streams.computeIfAbsent(d.stream(), s -> new ArrayList<>()).add(d));
        Map<String, Expected> expected = new LinkedHashMap<>();
        LongNetDecoder decoder = new LongNetDecoder(model.weights());
        CorpusTokenizer tokenizer = CorpusTokenizer.forModel(model.dir());
        streams.forEach((stream, streamDocs) -> stream(decoder, tokenizer, stream, streamDocs)
                .forEach(e -> expected.put(e.id(), e)));
        return expected;
    }

    private static List<Expected> stream(LongNetDecoder decoder, CorpusTokenizer tokenizer, String stream,
            List<Document> docs) {
        List<Integer> tokens = new ArrayList<>();
        List<Span> spans = new ArrayList<>();
        for (Document doc : docs) {
            tokens.add(tokenizer.separatorId());
            int[] ids = tokenizer.encode(doc.text());
            spans.add(new Span(doc.id(), stream, tokens.size(), ids.length,
                    doc.text().getBytes(StandardCharsets.UTF_8).length));
            Arrays.stream(ids).forEach(tokens::add);
        }
        int[] seq = tokens.stream().mapToInt(Integer::intValue).toArray(); // [n]
        int n = seq.length;
        int e = decoder.config().embedDim();
        int v = decoder.config().vocabSize();
        float[] features = new float[n * e];     // [n, E]
        double[] nll = new double[n];            // [n], nll[q] = -ln p(seq[q] | seq[0..q-1])
        double[][] next = new double[n][];       // next[q]: [V] softmax of row q, only where a document ends
        boolean[] endsDoc = new boolean[n];
        spans.forEach(s -> endsDoc[s.first() + s.count() - 1] = true);

        StreamingDecoder decoding = new StreamingDecoder(decoder);
        for (int start = 0; start < n; start += STEP) {
            int end = Math.min(n, start + STEP);
            DecoderOutput out = decoding.accept(Arrays.copyOfRange(seq, start, end));
            System.arraycopy(out.featuresRowMajor(), 0, features, start * e, (end - start) * e);
            float[] logits = out.logitsRowMajor(); // [end - start, V]
            for (int q = start; q < end; q++) {
                double[] logProbs = logSoftmax(logits, (q - start) * v, v);
                if (q + 1 < n) {
                    nll[q + 1] = -logProbs[seq[q + 1]];
                }
                if (endsDoc[q]) {
                    next[q] = Arrays.stream(logProbs).map(Math::exp).toArray();
                }
            }
        }
        List<Expected> expected = new ArrayList<>();
        for (Span s : spans) {
            double[] sum = new double[e]; // [E]
            double nllSum = 0;
            for (int q = s.first(); q < s.first() + s.count(); q++) {
                for (int j = 0; j < e; j++) {
                    sum[j] += features[q * e + j];
                }
                nllSum += nll[q];
            }
            float[] embedding = new float[e]; // [E]
            for (int j = 0; j < e; j++) {
                embedding[j] = (float) (sum[j] / s.count());
            }
            expected.add(new Expected(s.id(), s.stream(), s.first(), s.count(), embedding, nllSum / s.count(),
                    nllSum / Math.log(2) / s.utf8Bytes(), next[s.first() + s.count() - 1]));
        }
        return expected;
    }

    /** ln softmax of one row, in double. */
    private static double[] logSoftmax(float[] data, int offset, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < length; j++) {
            max = Math.max(max, data[offset + j]);
        }
        double sum = 0;
        for (int j = 0; j < length; j++) {
            sum += Math.exp(data[offset + j] - max);
        }
        double logSum = max + Math.log(sum);
        double[] out = new double[length];
        for (int j = 0; j < length; j++) {
            out[j] = data[offset + j] - logSum;
        }
        return out;
    }
}
