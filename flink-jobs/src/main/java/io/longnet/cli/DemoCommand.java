package io.longnet.cli;

import io.longnet.demo.CodeCorpus;
import io.longnet.demo.DemoModel;
import io.longnet.demo.SampleCorpus;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobConfig;
import io.longnet.job.JobOptions;
import io.longnet.job.LocalExecution;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddedKafka;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.OutputReader;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopicAdmin;
import io.longnet.kafka.TopicNames;
import io.longnet.kafka.Topics;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import io.longnet.train.TrainingRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code longnet demo [--model DIR | --untrained] [--corpus code|prose] [--documents N] [--parallelism P]
 * [--timeout SECONDS]}: the whole product on one machine, from a fresh clone. An in-process Kafka broker, the four
 * topics, a corpus plus a few bad records, the corpus job on a local MiniCluster (RocksDB, checkpoints every 2 s),
 * live progress read back with read_committed consumers, a few outputs, then cancel and a summary.
 *
 * <p>The model is the shipped one ({@value #SHIPPED_MODEL} in the checkout, trained on the JDK's source) unless
 * {@code --model} names another or {@code --untrained} asks for the seeded random one. The corpus is the checkout's
 * own Java sources ({@link CodeCorpus}: code the shipped model never saw) where the checkout is there, else the
 * bundled prose paragraphs ({@link SampleCorpus}).
 */
public final class DemoCommand {

    static final int DEFAULT_PROSE_DOCUMENTS = 600;
    static final int DEFAULT_CODE_DOCUMENTS = 36;
    /** The shipped model, relative to the checkout. */
    static final String SHIPPED_MODEL = "models/longnet-code";
    /** The checkout the launcher runs from ({@code longnet} sets it); the working directory otherwise. */
    static final String HOME_PROPERTY = "longnet.home";
    static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(2);
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(2);
    static final int PARTITIONS = 2;
    /** Chunk size for cl100k models (a token is about 4 bytes) and for byte-level models. */
    static final int CHUNK_SIZE = 128;
    static final int BYTES_CHUNK_SIZE = 1024;
    static final int SHOWN_VALUES = 6;
    static final int SHOWN_ENDING = 40;

    private final long start = System.nanoTime();

    private DemoCommand() {
    }

    public static void run(List<String> argv) throws Exception {
        List<String> rest = new ArrayList<>(argv);
        boolean untrained = rest.remove("--untrained");
        Args args = new Args("demo", rest, Set.of("model", "documents", "parallelism", "timeout", "corpus"));
        if (untrained && args.has("model")) {
            throw new Args.UsageException("demo: give --model DIR or --untrained, not both");
        }
        Path home = Path.of(System.getProperty(HOME_PROPERTY, ".")).toAbsolutePath().normalize();
        Optional<CodeCorpus> code = CodeCorpus.find(home);
        String corpus = args.optional("corpus", code.isPresent() ? "code" : "prose");
        if (!corpus.equals("code") && !corpus.equals("prose")) {
            throw new Args.UsageException("demo: --corpus must be code or prose, got " + corpus);
        }
        if (corpus.equals("code") && code.isEmpty()) {
            throw new Args.UsageException("demo: --corpus code needs the project's sources (src/main/java) under "
                    + home + " (-D" + HOME_PROPERTY + ")");
        }
        int documents = args.positiveInt("documents", corpus.equals("code") ? DEFAULT_CODE_DOCUMENTS
                : DEFAULT_PROSE_DOCUMENTS);
        int parallelism = args.positiveInt("parallelism", Math.min(2, Runtime.getRuntime().availableProcessors()));
        Duration timeout = Duration.ofSeconds(args.positiveInt("timeout", 180));
        Path work = Files.createTempDirectory("longnet-demo-");
        try {
            DemoCommand demo = new DemoCommand();
            Path model = args.has("model") ? Path.of(args.required("model"))
                    : untrained ? null : demo.shippedModel(home);
            List<Document> docs = corpus.equals("code") ? code.get().documents(documents)
                    : SampleCorpus.documents(documents);
            demo.run(model, docs, parallelism, timeout, work);
        } finally {
            deleteRecursively(work);
        }
    }

    /** The shipped model's directory, or null (the random model) with the reason, if the checkout lacks it. */
    private Path shippedModel(Path home) {
        Path dir = home.resolve(SHIPPED_MODEL);
        if (Files.isRegularFile(dir.resolve(ModelDirectory.WEIGHTS_FILE))) {
            return dir;
        }
        say("no shipped model at %s (run from the checkout, or give --model DIR); using random weights", dir);
        return null;
    }

    private void run(Path givenModel, List<Document> docs, int parallelism, Duration timeout, Path work)
            throws Exception {
        say("longnet demo: LongNet over an endless Kafka stream, on Flink; everything in this JVM");
        say("starting an in-process Kafka broker (KRaft, metadata.version %s) ...",
                EmbeddedKafka.METADATA_VERSION.version());
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            TopicNames names = TopicNames.defaults();
            TopicAdmin.CreateResult topics = TopicAdmin.createAll(kafka.clientProperties(),
                    Topics.specs(names, PARTITIONS, 1));
            say("Kafka at %s; created topics %s (%d partitions each)", kafka.bootstrapServers(), topics.created(),
                    PARTITIONS);

            Path modelDir = givenModel != null ? givenModel : work.resolve("untrained-model");
            boolean untrained = givenModel == null;
            describeModel(untrained ? DemoModel.writeUntrained(modelDir) : ModelDirectory.load(modelDir), untrained);
            int chunkSize = CorpusTokenizer.forModel(modelDir).name().equals(CorpusTokenizer.BYTES)
                    ? BYTES_CHUNK_SIZE : CHUNK_SIZE;

            List<SampleCorpus.BadRecord> bad = SampleCorpus.badRecords(docs.get(0).stream(),
                    docs.get(docs.size() - 1).stream());
            writeInput(kafka.clientProperties(), names.documents(), docs, bad);
            say("wrote %d documents (%s) and %d bad records (%s) to %s, keyed by stream", docs.size(),
                    perStream(docs), bad.size(),
                    bad.stream().map(SampleCorpus.BadRecord::problem).collect(Collectors.joining(", ")),
                    names.documents());

            JobConfig cfg = JobConfig.fromMap(Map.of(
                    JobOptions.BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers(),
                    JobOptions.MODEL_DIR.key(), modelDir.toString(),
                    JobOptions.CHUNK_SIZE.key(), Integer.toString(chunkSize),
                    JobOptions.FLUSH_INTERVAL.key(), "200 ms",
                    JobOptions.CHECKPOINT_INTERVAL.key(), CHECKPOINT_INTERVAL.toMillis() + " ms",
                    JobOptions.CHECKPOINT_DIR.key(), work.resolve("checkpoints").toUri().toString()));
            StreamExecutionEnvironment env = LocalExecution.environment(parallelism);
            CorpusJob.build(env, cfg, kafka.clientProperties());
            JobClient job = env.executeAsync(CorpusJob.JOB_NAME);
            long submitted = System.nanoTime();
            say("job %s submitted: parallelism %d, chunk-size %d, RocksDB with incremental checkpoints every %d s "
                    + "(outputs become visible when a checkpoint commits them)", job.getJobID(), parallelism,
                    chunkSize, CHECKPOINT_INTERVAL.toSeconds());

            Expected expected = new Expected(docs.size(), bad.size());
            try (OutputReader out = new OutputReader(kafka.clientProperties(), names)) {
                boolean complete = follow(out, job, expected, submitted, timeout);
                showSamples(out, docs);
                cancel(job);
                summarize(out, expected, docs, complete, submitted, parallelism, untrained);
                if (!complete) {
                    throw new IllegalStateException("not all outputs arrived within " + timeout.toSeconds()
                            + " s (--timeout)");
                }
            }
        }
    }

    /** What a complete run writes. */
    private record Expected(int documents, int deadLetters) {
        boolean reachedBy(OutputReader out) {
            return out.embeddings().size() >= documents && out.predictions().size() >= documents
                    && out.deadLetters().size() >= deadLetters;
        }
    }

    private void describeModel(ModelDirectory model, boolean untrained) throws IOException {
        ModelConfig c = model.config();
        Optional<TrainingRecord> training = untrained ? Optional.empty() : TrainingRecord.read(model.dir());
        String what = untrained ? "UNTRAINED random weights (seed " + DemoModel.SEED + ")"
                : (training.isPresent() ? "TRAINED, " : "") + "weights from " + model.dir();
        say("model: %s, fingerprint %s: E=%d, %d heads, %d layers, FFN %d, vocab %d (%s), segment_length %s, "
                        + "dilated_ratio %s", what, model.fingerprint(), c.embedDim(), c.heads(), c.layers(), c.ffnDim(),
                c.vocabSize(), CorpusTokenizer.forModel(model.dir()).name(), c.schedule().segmentLengths(),
                c.schedule().dilatedRatios());
        training.ifPresent(t -> say("        TRAINED on %s: %d steps, %,d tokens; held-out %s (packages %s, never "
                        + "trained on)", t.data(), t.steps(), t.tokens(), t.heldOutBitsPerByte() == null ? "not measured"
                        : String.format(Locale.ROOT, "%.3f bits/byte", t.heldOutBitsPerByte()),
                String.join(", ", t.heldOut())));
        if (untrained) {
            say("        UNTRAINED: its embeddings and predictions are noise; they show the pipeline, not language "
                    + "(the shipped model is " + SHIPPED_MODEL + ")");
        }
    }

    static void writeInput(Properties clientProps, String topic, List<Document> docs,
            List<SampleCorpus.BadRecord> bad) {
        Properties props = new Properties();
        props.putAll(clientProps);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // One request in flight: a retried first batch can never land behind a later one (out of order, for good).
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            int every = Math.max(1, docs.size() / (bad.size() + 1));
            for (int i = 0; i < docs.size(); i++) {
                Document doc = docs.get(i);
                producer.send(new ProducerRecord<>(topic, doc.stream(), doc.toJson()));
                int b = i / every;
                if ((i + 1) % every == 0 && b < bad.size()) {
                    producer.send(new ProducerRecord<>(topic, bad.get(b).stream(), bad.get(b).value()));
                }
            }
            producer.flush();
        }
    }

    /** Prints progress until every output arrived, the job failed, or the timeout; true if complete. */
    private boolean follow(OutputReader out, JobClient job, Expected expected, long submitted, Duration timeout)
            throws Exception {
        long deadline = submitted + timeout.toNanos();
        long nextLine = System.nanoTime() + PROGRESS_EVERY.toNanos();
        while (!expected.reachedBy(out) && System.nanoTime() < deadline) {
            out.poll(Duration.ofMillis(250));
            if (System.nanoTime() >= nextLine) {
                checkRunning(job);
                progress(out, expected, submitted);
                nextLine += PROGRESS_EVERY.toNanos();
            }
        }
        progress(out, expected, submitted);
        return expected.reachedBy(out);
    }

    private static void checkRunning(JobClient job) throws Exception {
        JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        if (status.isGloballyTerminalState()) {
            try {
                job.getJobExecutionResult().get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the job " + status + ": " + rootCause(e).getMessage(), e);
            }
            throw new IllegalStateException("the job ended early with status " + status);
        }
    }

    private void progress(OutputReader out, Expected expected, long submitted) {
        double seconds = (System.nanoTime() - submitted) / 1e9;
        String positions = out.streamPositions().isEmpty() ? "-" : out.streamPositions().entrySet().stream()
                .map(e -> e.getKey() + "@" + String.format(Locale.ROOT, "%,d", e.getValue()))
                .collect(Collectors.joining(" "));
        say("committed: documents %d/%d, predictions %d/%d, dead letters %d/%d, tokens %,d, %.0f tokens/s, "
                        + "stream positions %s", out.embeddings().size(), expected.documents(), out.predictions().size(),
                expected.documents(), out.deadLetters().size(), expected.deadLetters(), out.tokens(),
                out.tokens() / seconds, positions);
    }

    private void showSamples(OutputReader out, List<Document> docs) {
        List<EmbeddingOut> embeddings = samples(out.embeddings(), EmbeddingOut::stream, EmbeddingOut::firstPosition);
        if (!embeddings.isEmpty()) {
            say("embeddings (first %d of %d values):", SHOWN_VALUES, embeddings.get(0).dimension());
        }
        for (EmbeddingOut e : embeddings) {
            float[] v = e.vector();
            String values = IntStream.range(0, Math.min(SHOWN_VALUES, v.length))
                    .mapToObj(i -> String.format(Locale.ROOT, "%+.4f", v[i])).collect(Collectors.joining(", "));
            say("  %-16s positions %,d..%,d (%d tokens): [%s, ...]", e.id(), e.firstPosition(),
                    e.firstPosition() + e.tokenCount() - 1, e.tokenCount(), values);
        }
        List<PredictionOut> predictions = samples(out.predictions(), PredictionOut::stream, PredictionOut::firstPosition);
        if (!predictions.isEmpty()) {
            say("predictions (how surprising each document is given its stream so far; likeliest next tokens after "
                    + "its end):");
        }
        Map<String, String> textById = docs.stream().collect(Collectors.toMap(Document::id, Document::text));
        for (PredictionOut p : predictions) {
            String next = p.topNext().stream()
                    .map(t -> String.format(Locale.ROOT, "%s %.3f", quote(t.text()), t.probability()))
                    .collect(Collectors.joining(", "));
            say("  %-16s %s bits/byte (mean NLL %.3f nats/token, perplexity %,.1f)", p.id(),
                    Double.isNaN(p.bitsPerByte()) ? "unknown" : String.format(Locale.ROOT, "%.3f", p.bitsPerByte()),
                    p.meanNll(), p.perplexity());
            say("  %-16s ends %s -> next: %s", "", quote(ending(textById.getOrDefault(p.id(), ""))), next);
        }
    }

    /** The last characters of a document, where the next-token prediction picks up. */
    private static String ending(String text) {
        return text.length() <= SHOWN_ENDING ? text : "..." + text.substring(text.length() - SHOWN_ENDING);
    }

    /** The first and the last document of each stream. */
    private static <T> List<T> samples(List<T> records, Function<T, String> stream,
            ToLongFunction<T> position) {
        Map<String, List<T>> byStream = records.stream()
                .sorted(Comparator.comparing(stream).thenComparingLong(position))
                .collect(Collectors.groupingBy(stream, LinkedHashMap::new, Collectors.toList()));
        return byStream.values().stream()
                .flatMap(list -> list.size() == 1 ? list.stream() : Stream.of(list.get(0), list.get(list.size() - 1)))
                .toList();
    }

    private static void cancel(JobClient job) throws Exception {
        JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        if (!status.isGloballyTerminalState()) {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private void summarize(OutputReader out, Expected expected, List<Document> docs, boolean complete,
            long submitted, int parallelism, boolean untrained) {
        double seconds = (System.nanoTime() - submitted) / 1e9;
        Set<String> embeddingIds = new HashSet<>();
        Set<String> predictionIds = new HashSet<>();
        out.embeddings().forEach(e -> embeddingIds.add(e.id()));
        out.predictions().forEach(p -> predictionIds.add(p.id()));
        Set<String> inputIds = docs.stream().map(Document::id).collect(Collectors.toSet());
        boolean exactlyOnce = embeddingIds.equals(inputIds) && predictionIds.equals(inputIds)
                && out.embeddings().size() == inputIds.size() && out.predictions().size() == inputIds.size();
        System.out.println();
        say("job cancelled.%s", complete ? "" : " INCOMPLETE: not every output arrived in time.");
        say("summary: in %d documents in %d streams + %d bad records -> out %d embeddings, %d predictions, "
                        + "%d dead letters (read_committed)", docs.size(),
                docs.stream().map(Document::stream).distinct().count(),
                expected.deadLetters(), out.embeddings().size(), out.predictions().size(), out.deadLetters().size());
        say("         every document id exactly once in embeddings and predictions: %s; in = out + dead letters: %s",
                exactlyOnce ? "yes" : "NO",
                docs.size() + expected.deadLetters() == out.embeddings().size() + out.deadLetters().size() ? "yes" : "NO");
        say("         %,d tokens in %.1f s since submit (%.0f tokens/s incl. job start-up), parallelism %d, "
                + "total %.1f s", out.tokens(), seconds, out.tokens() / seconds, parallelism,
                (System.nanoTime() - start) / 1e9);
        if (untrained) {
            say("         model: UNTRAINED random weights; the numbers above demonstrate the pipeline only");
        }
    }

    private static String perStream(List<Document> docs) {
        return docs.stream().collect(Collectors.groupingBy(Document::stream, LinkedHashMap::new, Collectors.counting()))
                .entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\"", "\\\"")
                + "\"";
    }

    private static Throwable rootCause(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private void say(String format, Object... args) {
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "[%5.1fs] %s%n", seconds, String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete demo work directory " + dir, e);
        }
    }
}
