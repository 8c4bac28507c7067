package io.longnet.train;

import io.longnet.attention.AttentionState;
import io.longnet.text.CorpusTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * What long context buys a trained model, on held-out streams fed in chunks exactly as the job feeds them: bits per
 * byte by position in the stream (the paper's Figure 6 question) and a recall probe (a file seen again after D
 * bytes of other files: how much cheaper is its second occurrence).
 */
public final class Evaluator {

    /** Position buckets [edge i, edge i+1): 0-1K, 1K-4K, 4K-16K, 16K-64K, 64K-256K. */
    public static final long[] BUCKET_EDGES = {0, 1024, 4096, 16384, 65536, 262144};

    /** One position bucket's totals: nats over its targets, and the bytes those targets stand for. */
    public record Bucket(long from, long to, double nats, long bytes, long targets) {
        public double bitsPerByte() {
            return bytes == 0 ? Double.NaN : nats / Math.log(2) / bytes;
        }
    }

    /** A file seen at the start of a stream and again after {@code distance} bytes of other files. */
    public record Probe(String file, long distance, double firstBitsPerByte, double secondBitsPerByte) {
        /** How much less the second occurrence costs, as a fraction of the first. */
        public double saving() {
            return 1 - secondBitsPerByte / firstBitsPerByte;
        }
    }

    private final TrainingDecoder decoder;
    private final CorpusTokenizer tokenizer;
    private final int chunk;

    public Evaluator(TrainingDecoder decoder, CorpusTokenizer tokenizer, int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("--chunk must be positive, got " + chunk);
        }
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.chunk = chunk;
    }

    /** Bits per byte by position over the first {@code maxTokens} tokens of each package's stream. */
    public List<Bucket> byPosition(Corpus corpus, List<Corpus.Package> packages, long maxTokens) {
        int buckets = BUCKET_EDGES.length - 1;
        double[] nats = new double[buckets];
        long[] bytes = new long[buckets];
        long[] targets = new long[buckets];
        for (Corpus.Package p : packages) {
            int[] all = corpus.tokens(p, tokenizer);
            int[] stream = java.util.Arrays.copyOf(all, (int) Math.min(all.length, maxTokens + 1));
            double[] loss = perTokenLoss(stream);
            for (int t = 0; t + 1 < stream.length; t++) {
                int b = bucket(t);
                if (b >= 0) {
                    nats[b] += loss[t];
                    bytes[b] += tokenizer.bytesOf(stream[t + 1]);
                    targets[b]++;
                }
            }
        }
        List<Bucket> out = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
            out.add(new Bucket(BUCKET_EDGES[b], BUCKET_EDGES[b + 1], nats[b], bytes[b], targets[b]));
        }
        return out;
    }

    private static int bucket(long position) {
        for (int b = 0; b + 1 < BUCKET_EDGES.length; b++) {
            if (position < BUCKET_EDGES[b + 1]) {
                return b;
            }
        }
        return -1;
    }

    /**
     * For each probe file and distance D: the stream [sep, file, sep, other files' bytes up to D, sep, file]; bits
     * per byte of the file's tokens at their first and second occurrence.
     *
     * @param filler the other files' tokens to take the D bytes from, in order (cycled when short)
     */
    public Probe recall(String name, int[] file, int[] filler, long distance) {
        if (filler.length == 0) {
            throw new IllegalArgumentException("the recall probe needs other held-out files to put between the "
                    + "occurrences of " + name);
        }
        int sep = tokenizer.separatorId();
        List<Integer> stream = new ArrayList<>();
        stream.add(sep);
        int first = stream.size();
        for (int t : file) {
            stream.add(t);
        }
        stream.add(sep);
        long fillerBytes = 0;
        for (int t : filler) {
            fillerBytes += tokenizer.bytesOf(t);
        }
        if (fillerBytes == 0) {
            throw new IllegalArgumentException("the recall probe's filler for " + name + " holds no text bytes");
        }
        long bytes = 0;
        for (int i = 0; bytes < distance; i++) {
            int t = filler[i % filler.length];
            stream.add(t);
            bytes += tokenizer.bytesOf(t);
        }
        stream.add(sep);
        int second = stream.size();
        for (int t : file) {
            stream.add(t);
        }
        int[] tokens = stream.stream().mapToInt(Integer::intValue).toArray();
        double[] loss = perTokenLoss(tokens);
        return new Probe(name, distance, bitsPerByte(tokens, loss, first, file.length),
                bitsPerByte(tokens, loss, second, file.length));
    }

    /** Bits per byte of the targets tokens[from .. from + n), each predicted from the position before it. */
    private double bitsPerByte(int[] tokens, double[] loss, int from, int n) {
        double nats = 0;
        long bytes = 0;
        for (int t = from; t < from + n; t++) {
            nats += loss[t - 1];
            bytes += tokenizer.bytesOf(tokens[t]);
        }
        return nats / Math.log(2) / bytes;
    }

    /** loss[t] = -ln p(tokens[t + 1] | tokens[0..t]), the stream fed in chunks from position 0; [n - 1]. */
    double[] perTokenLoss(int[] tokens) {
        double[] loss = new double[Math.max(0, tokens.length - 1)];
        AttentionState[] states = decoder.newStreamState();
        for (int from = 0; from + 1 < tokens.length; from += chunk) {
            int to = Math.min(tokens.length - 1, from + chunk);
            int[] in = java.util.Arrays.copyOfRange(tokens, from, to);
            int[] next = java.util.Arrays.copyOfRange(tokens, from + 1, to + 1);
            double[] perToken = decoder.step(in, next, from, states, 0).perToken();
            System.arraycopy(perToken, 0, loss, from, perToken.length);
        }
        return loss;
    }
}
