package io.longnet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longnet.compute.ComputeThreads;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import io.longnet.train.Corpus;
import io.longnet.train.Evaluator;
import io.longnet.train.Parameters;
import io.longnet.train.TrainingDecoder;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * {@code longnet eval --model DIR --data PATH}: held-out bits per byte by position in the stream (buckets 0-1K,
 * 1K-4K, 4K-16K, 16K-64K, 64K-256K), printed and plotted, and the recall probe: held-out files seen a second time
 * after D bytes of other files, bits per byte of both occurrences.
 */
public final class EvalCommand {

    static final String USAGE = "eval    --model DIR --data DIR|ZIP [--held-out java.util.concurrent,java.time] "
            + "[--extensions .java] [--packages 8] [--max-tokens 262144] [--chunk 8192] [--probe-files 2] "
            + "[--distances 1024,16384,100000,250000] [--probe-bytes 2048-8192] [--plot FILE.png] [--report FILE.json] "
            + "[--threads N]";

    private static final Set<String> FLAGS = Set.of("model", "data", "held-out", "extensions", "packages",
            "max-tokens", "chunk", "probe-files", "distances", "probe-bytes", "plot", "report", "threads");

    private EvalCommand() {
    }

    public static void run(List<String> argv) throws IOException {
        Args args = new Args("eval", argv, FLAGS);
        if (args.has("threads")) {
            ComputeThreads.set(args.positiveInt("threads", 1));
        }
        Path modelDir = Path.of(args.required("model"));
        ModelDirectory model = ModelDirectory.load(modelDir);
        CorpusTokenizer tokenizer = CorpusTokenizer.forModel(modelDir);
        tokenizer.checkModelVocabulary(model.config().vocabSize());
        List<String> heldOutPrefixes = list(args.optional("held-out", "java.util.concurrent,java.time"));
        Parameters weights = Parameters.of(model.weights());
        Evaluator evaluator = new Evaluator(new TrainingDecoder(weights, Parameters.zerosLike(weights)), tokenizer,
                args.positiveInt("chunk", 8192));
        ObjectMapper json = new ObjectMapper();
        ObjectNode report = json.createObjectNode();
        report.put("model", modelDir.toString());
        try (Corpus corpus = Corpus.open(Path.of(args.required("data")),
                Set.copyOf(list(args.optional("extensions", ".java"))))) {
            List<Corpus.Package> heldOut = corpus.packages().stream()
                    .filter(p -> heldOutPrefixes.stream().anyMatch(p::within)).toList();
            if (heldOut.isEmpty()) {
                throw new IllegalArgumentException("--data " + corpus.path() + " has no package under --held-out "
                        + heldOutPrefixes);
            }
            int packages = Math.min(heldOut.size(), args.positiveInt("packages", 8));
            List<Corpus.Package> chosen = new ArrayList<>();
            for (int i = 0; i < packages; i++) {
                chosen.add(heldOut.get((int) ((long) i * heldOut.size() / packages)));
            }
            report.putPOJO("held_out_packages", chosen.stream().map(Corpus.Package::name).toList());
            System.out.printf("held-out packages: %s%n", chosen.stream().map(Corpus.Package::name).toList());
            List<Evaluator.Bucket> buckets = evaluator.byPosition(corpus, chosen, args.longValue("max-tokens", 262144));
            ArrayNode positions = report.putArray("by_position");
            System.out.println("position in stream   bits/byte   targets");
            for (Evaluator.Bucket b : buckets) {
                System.out.printf("%7d - %-9d   %9.4f   %d%n", b.from(), b.to(), b.bitsPerByte(), b.targets());
                ObjectNode o = positions.addObject();
                o.put("from", b.from());
                o.put("to", b.to());
                o.put("bits_per_byte", b.bitsPerByte());
                o.put("targets", b.targets());
            }
            ArrayNode probes = report.putArray("recall_probe");
            for (Evaluator.Probe p : probes(corpus, heldOut, tokenizer, evaluator, args.positiveInt("probe-files", 2),
                    distances(args.optional("distances", "1024,16384,100000,250000")),
                    byteRange(args.optional("probe-bytes", "2048-8192")))) {
                System.out.printf("recall %-60s D=%-7d first %.4f  second %.4f bits/byte (%.0f%% fewer)%n", p.file(),
                        p.distance(), p.firstBitsPerByte(), p.secondBitsPerByte(), 100 * p.saving());
                ObjectNode o = probes.addObject();
                o.put("file", p.file());
                o.put("distance", p.distance());
                o.put("first_bits_per_byte", p.firstBitsPerByte());
                o.put("second_bits_per_byte", p.secondBitsPerByte());
            }
            if (args.has("plot")) {
                plot(buckets, "held-out bits per byte by position, " + modelDir.getFileName(), Path.of(args.required("plot")));
            }
        }
        if (args.has("report")) {
            Files.writeString(Path.of(args.required("report")), json.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(report));
        }
    }

    /**
     * Probe files: held-out files of {@code sizes} bytes (2-8 KB by default) spread over the list; filler: the other
     * held-out packages' streams. A file's second occurrence lies its own length plus D after the first, so small
     * files with small D probe recall inside the dense segment, large ones only through the dilated branches.
     */
    private static List<Evaluator.Probe> probes(Corpus corpus, List<Corpus.Package> heldOut,
                                                CorpusTokenizer tokenizer, Evaluator evaluator, int count,
                                                long[] distances, long[] sizes) {
        List<String[]> candidates = new ArrayList<>(); // package, file
        for (Corpus.Package p : heldOut) {
            for (String f : p.files()) {
                int size = corpus.read(f).length;
                if (size >= sizes[0] && size <= sizes[1]) {
                    candidates.add(new String[] {p.name(), f});
                }
            }
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no held-out file of --probe-bytes " + sizes[0] + "-" + sizes[1]
                    + " bytes in " + heldOut.stream().map(Corpus.Package::name).toList() + " for the recall probe");
        }
        long longest = Arrays.stream(distances).max().orElse(0);
        List<Evaluator.Probe> out = new ArrayList<>();
        for (int i = 0; i < Math.min(count, candidates.size()); i++) {
            String[] c = candidates.get((int) ((long) i * candidates.size() / Math.min(count, candidates.size())));
            int[] file = tokenizer.encodeUtf8(corpus.read(c[1]));
            int[] filler = filler(corpus, heldOut, tokenizer, c[0], longest);
            for (long d : distances) {
                out.add(evaluator.recall(c[1], file, filler, d));
            }
        }
        return out;
    }

    private static int[] filler(Corpus corpus, List<Corpus.Package> heldOut, CorpusTokenizer tokenizer,
                                String exceptPackage, long bytes) {
        List<int[]> parts = new ArrayList<>();
        long have = 0;
        int total = 0;
        for (Corpus.Package p : heldOut) {
            if (p.name().equals(exceptPackage) || have >= bytes) {
                continue;
            }
            int[] t = corpus.tokens(p, tokenizer);
            parts.add(t);
            total += t.length;
            for (int token : t) {
                have += tokenizer.bytesOf(token);
            }
        }
        int[] out = new int[total];
        int at = 0;
        for (int[] t : parts) {
            System.arraycopy(t, 0, out, at, t.length);
            at += t.length;
        }
        return out;
    }

    private static void plot(List<Evaluator.Bucket> buckets, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(900).height(600).title(title)
                .xAxisTitle("position in the stream (tokens)").yAxisTitle("bits per byte").build();
        List<String> names = buckets.stream().map(b -> label(b.from()) + "-" + label(b.to())).toList();
        List<Double> values = buckets.stream().map(b -> Double.isNaN(b.bitsPerByte()) ? 0 : b.bitsPerByte()).toList();
        chart.addSeries("held-out", names, values).setFillColor(new Color(0x1f77b4));
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static String label(long n) {
        return n == 0 ? "0" : n / 1024 + "K";
    }

    /** {@code MIN-MAX} in bytes, 1 <= MIN <= MAX. */
    static long[] byteRange(String range) {
        String[] parts = range.split("-");
        try {
            if (parts.length == 2) {
                long min = Long.parseLong(parts[0].trim());
                long max = Long.parseLong(parts[1].trim());
                if (min >= 1 && min <= max) {
                    return new long[] {min, max};
                }
            }
        } catch (NumberFormatException e) {
            // falls through to the usage error naming the flag
        }
        throw new Args.UsageException("eval: --probe-bytes must be MIN-MAX bytes with 1 <= MIN <= MAX, got " + range);
    }

    private static long[] distances(String csv) {
        return list(csv).stream().mapToLong(Long::parseLong).toArray();
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
