package io.longnet.cli;

import io.longnet.bench.CheckpointWatch;
import io.longnet.bench.CollectingReporter;
import io.longnet.bench.CpuSteal;
import io.longnet.bench.LatencySummary;
import io.longnet.demo.DemoModel;
import io.longnet.demo.SampleCorpus;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobConfig;
import io.longnet.job.JobOptions;
import io.longnet.job.LocalExecution;
import io.longnet.kafka.Document;
import io.longnet.kafka.BrokerProcess;
import io.longnet.kafka.EmbeddedKafka;
import io.longnet.kafka.KafkaBroker;
import io.longnet.kafka.TopicAdmin;
import io.longnet.kafka.TopicNames;
import io.longnet.kafka.Topics;
import io.longnet.model.ModelDirectory;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code longnet bench-latency [--rate R|max] [--duration S] [--documents N] [--streams K] [--model DIR]
 * [--parallelism P] [--delivery-guarantee G] [--checkpoint-interval D] [--flush-interval D] [--batch-wait D]
 * [--chunk-size C] [--predictions false] [--hot-state-memory M] [--unwritten-state-memory M] [--encoder-threads T]
 * [--warm-up N] [--warm-up-seconds S] [--timeline S] [--broker in-process|process]}:
 * the corpus job's end-to-end latency as a consumer of its outputs sees it.
 *
 * <p>An in-process broker and the job on a local MiniCluster (RocksDB, checkpoints). A few warm-up documents per
 * stream go first and their outputs are awaited (job start, JIT, model load). Then documents of K streams are sent
 * at R per second, open loop (each at its own due time, whatever the job does), each record's timestamp set to its
 * send time; a {@code read_committed} consumer of the embeddings and predictions topics notes when the first output
 * of each document arrives. Latency = arrival - record timestamp, one clock. With {@code --rate max} all documents
 * are sent at once: the latencies are then queueing, and the figure that counts is the throughput, the capacity.
 * {@code --timeline S} adds the latencies per S-second window of send times, with the checkpoints seen completing
 * in it: where in a run its slowest outputs were. The CPU steal of the run (and of each window) is printed where
 * Linux tells it: on a shared virtual machine, the hypervisor's share is noise in every figure.
 * {@code --broker process} runs the broker in a JVM of its own ({@link BrokerProcess}), as a deployment would,
 * instead of in this one beside the job.
 */
public final class LatencyBenchCommand {

    static final String DEFAULT_RATE = "2";
    static final int DEFAULT_DURATION_SECONDS = 60;
    static final int DEFAULT_MAX_RATE_DOCUMENTS = 300;
    static final int DEFAULT_STREAMS = 3;
    static final int WARM_UP_PER_STREAM = 3;
    /**
     * Seconds of documents at the rate before the measured ones: the JIT compiles the broker's, the clients' and
     * the job's code for a good half minute after they start, on the same cores, and those outputs came out up to
     * 5 s late where the rest took under 2 s. Their latencies are a start-up's, not the steady state's.
     */
    static final int WARM_UP_SECONDS = 30;
    /**
     * Longest wait without a new output, after the last document was sent: a backlog of any size is awaited while
     * outputs keep coming.
     */
    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);
    static final int BROKER_HEAP_MEGABYTES = 1024;
    static final Duration BROKER_START_TIMEOUT = Duration.ofMinutes(2);
    static final String REPORTER = "longnet-bench-latency";
    /** The job options this command passes through to the job; every other is the job's default. */
    static final List<String> JOB_OPTIONS = List.of(JobOptions.DELIVERY_GUARANTEE.key(),
            JobOptions.CHECKPOINT_INTERVAL.key(), JobOptions.FLUSH_INTERVAL.key(), JobOptions.BATCH_WAIT.key(),
            JobOptions.CHUNK_SIZE.key(), JobOptions.PREDICTIONS.key(), JobOptions.HOT_STATE_MEMORY.key(),
            JobOptions.UNWRITTEN_STATE_MEMORY.key(), JobOptions.ENCODER_THREADS.key());

    private LatencyBenchCommand() {
    }

    /**
     * @param rate documents per second, or infinity for as fast as the producer sends
     * @param warmUpSeconds how long documents are sent at the rate, not counted, before the measured ones (none at
     *     {@code --rate max})
     * @param timelineSeconds window of the per-window report, 0 for none
     * @param brokerProcess whether the broker runs in a JVM of its own rather than in this one
     */
    record Settings(double rate, int documents, int streams, int parallelism, int warmUpPerStream,
            int warmUpSeconds, int timelineSeconds, boolean brokerProcess, Map<String, String> jobOptions) {
        Settings {
            if (!(rate > 0) || documents < 1 || streams < 1 || parallelism < 1) {
                throw new IllegalArgumentException("bench-latency: rate, documents, streams and parallelism must be "
                        + "positive, got rate " + rate + ", documents " + documents + ", streams " + streams
                        + ", parallelism " + parallelism);
            }
            if (warmUpSeconds < 0) {
                throw new IllegalArgumentException("bench-latency: --warm-up-seconds must be >= 0, got "
                        + warmUpSeconds);
            }
            if (timelineSeconds < 0) {
                throw new IllegalArgumentException("bench-latency: --timeline must be seconds per window (0 for none), got "
                        + timelineSeconds);
            }
            if (warmUpPerStream < 0) {
                throw new IllegalArgumentException("bench-latency: --warm-up must be >= 0 documents per stream, got "
                        + warmUpPerStream);
            }
            jobOptions = Map.copyOf(jobOptions);
        }

        boolean maxRate() {
            return Double.isInfinite(rate);
        }
    }

    public static void run(List<String> argv) throws Exception {
        Set<String> known = new java.util.HashSet<>(Set.of("model", "rate", "duration", "documents", "streams",
                "parallelism", "warm-up", "warm-up-seconds", "timeline", "broker"));
        known.addAll(JOB_OPTIONS);
        Args args = new Args("bench-latency", argv, known);
        Settings settings = settings(args);
        Path work = Files.createTempDirectory("longnet-bench-latency-");
        try {
            ModelDirectory model = args.has("model") ? ModelDirectory.load(Path.of(args.required("model")))
                    : DemoModel.writeUntrained(work.resolve("untrained-model"));
            run(model, settings, work);
        } finally {
            DemoCommand.deleteRecursively(work);
        }
    }

    static Settings settings(Args args) {
        String rateText = args.optional("rate", DEFAULT_RATE);
        double rate;
        if (rateText.equals("max")) {
            rate = Double.POSITIVE_INFINITY;
        } else {
            try {
                rate = Double.parseDouble(rateText);
            } catch (NumberFormatException e) {
                throw new Args.UsageException("bench-latency: --rate must be documents per second or max, got \""
                        + rateText + "\"");
            }
            if (!(rate > 0) || Double.isInfinite(rate)) {
                throw new Args.UsageException("bench-latency: --rate must be positive, got " + rateText);
            }
        }
        int documents;
        if (Double.isInfinite(rate)) {
            documents = args.positiveInt("documents", DEFAULT_MAX_RATE_DOCUMENTS);
        } else if (args.has("documents")) {
            documents = args.positiveInt("documents", 1);
        } else {
            documents = (int) Math.ceil(rate * args.positiveInt("duration", DEFAULT_DURATION_SECONDS));
        }
        Map<String, String> jobOptions = new HashMap<>();
        JOB_OPTIONS.forEach(key -> {
            if (args.has(key)) {
                jobOptions.put(key, args.required(key));
            }
        });
        return new Settings(rate, documents, args.positiveInt("streams", DEFAULT_STREAMS),
                args.positiveInt("parallelism", 1),
                nonNegative(args, "warm-up", WARM_UP_PER_STREAM, "documents per stream"),
                nonNegative(args, "warm-up-seconds", WARM_UP_SECONDS, "seconds"),
                args.has("timeline") ? args.positiveInt("timeline", 1) : 0, brokerProcess(args), jobOptions);
    }

    private static boolean brokerProcess(Args args) {
        String broker = args.optional("broker", "in-process");
        return switch (broker) {
            case "in-process" -> false;
            case "process" -> true;
            default -> throw new Args.UsageException("bench-latency: --broker must be in-process or process, got \""
                    + broker + "\"");
        };
    }

    /** The bench's broker: in this JVM, or in one of its own (its heap, compiler threads and safepoints apart). */
    private static KafkaBroker startBroker(Settings settings, Path work) throws Exception {
        return settings.brokerProcess() ? BrokerProcess.start(work.resolve("broker"), BROKER_HEAP_MEGABYTES,
                BROKER_START_TIMEOUT) : EmbeddedKafka.start();
    }

    private static int nonNegative(Args args, String name, int fallback, String unit) {
        String text = args.optional(name, String.valueOf(fallback));
        try {
            int value = Integer.parseInt(text);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // the usage error below
        }
        throw new Args.UsageException("bench-latency: --" + name + " must be " + unit + ", >= 0, got \"" + text
                + "\"");
    }

    /** {@code count} documents of the sample corpus's texts, round robin over {@code streams} streams. */
    static List<Document> documents(String idPrefix, int count, int streams, int offset) {
        if (count == 0) {
            return List.of();
        }
        List<Document> texts = SampleCorpus.documents(offset + count);
        List<Document> docs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String stream = "stream-" + (i % streams);
            docs.add(new Document(String.format(Locale.ROOT, "%s-%06d", idPrefix, i), texts.get(offset + i).text(),
                    stream, null));
        }
        return docs;
    }

    private static void run(ModelDirectory model, Settings settings, Path work) throws Exception {
        List<Document> warmUp = documents("warm-up", settings.warmUpPerStream() * settings.streams(),
                settings.streams(), 0);
        List<Document> atRate = settings.maxRate() ? List.of() : documents("warm-up-at-rate",
                (int) Math.ceil(settings.rate() * settings.warmUpSeconds()), settings.streams(), warmUp.size());
        List<Document> docs = documents("bench", settings.documents(), settings.streams(),
                warmUp.size() + atRate.size());
        CorpusTokenizer tokenizer = CorpusTokenizer.forModel(model.dir());
        long tokens = docs.stream().mapToLong(d -> tokenizer.encode(d.text()).length + 1L).sum(); // + separator

        try (KafkaBroker kafka = startBroker(settings, work)) {
            TopicNames names = TopicNames.defaults();
            TopicAdmin.createAll(kafka.clientProperties(), Topics.specs(names, 2, 1));
            Map<String, String> options = new HashMap<>(settings.jobOptions());
            options.put(JobOptions.BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers());
            options.put(JobOptions.MODEL_DIR.key(), model.dir().toString());
            options.put(JobOptions.CHECKPOINT_DIR.key(), work.resolve("checkpoints").toUri().toString());
            JobConfig cfg = JobConfig.fromMap(options);
            loadAverage().ifPresent(load -> System.out.println("load average at the start (1, 5, 15 min): " + load));
            System.out.printf(Locale.ROOT, "bench-latency: model %s (E=%d, %d layers), %d streams, %s, %d documents "
                            + "(%,d tokens with separators); delivery-guarantee %s, checkpoint-interval %d ms, "
                            + "flush-interval %d ms, batch-wait %d ms, chunk-size %d, parallelism %d, "
                            + "encoder-threads %s; broker %s%n",
                    model.fingerprint(), model.config().embedDim(), model.config().layers(), settings.streams(),
                    settings.maxRate() ? "all at once (--rate max)"
                            : String.format(Locale.ROOT, "%.2f documents/s", settings.rate()),
                    docs.size(), tokens, cfg.deliveryGuarantee(), cfg.checkpointInterval().toMillis(),
                    cfg.flushInterval().toMillis(), cfg.batchWait().toMillis(), cfg.chunkSize(),
                    settings.parallelism(), cfg.encoderThreads().configured() == null ? "a share of the cores"
                            : cfg.encoderThreads().configured(), kafka instanceof BrokerProcess process
                            ? "in a JVM of its own (pid " + process.pid() + ")" : "in this JVM");

            Configuration cluster = new Configuration();
            cluster.setString("metrics.reporter." + REPORTER + ".factory.class",
                    CollectingReporter.Factory.class.getName());
            StreamExecutionEnvironment env = LocalExecution.environment(settings.parallelism(), cluster);
            CorpusJob.build(env, cfg, kafka.clientProperties());
            JobClient job = env.executeAsync(CorpusJob.JOB_NAME);
            CheckpointWatch checkpoints = new CheckpointWatch();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "bench-latency-checkpoint-watch");
                thread.setDaemon(true);
                return thread;
            });
            sampler.scheduleAtFixedRate(() -> {
                try {
                    checkpoints.sample();
                } catch (RuntimeException e) {
                    // A task that throws is cancelled without a word: say so, the report will lack the durations.
                    System.err.println("bench-latency: checkpoint sampling failed: " + e);
                    throw e;
                }
            }, 0, 50, TimeUnit.MILLISECONDS);
            CpuSteal steal = new CpuSteal();
            sampler.scheduleAtFixedRate(steal::sample, 0, 250, TimeUnit.MILLISECONDS);
            try (KafkaProducer<String, byte[]> producer = producer(kafka.clientProperties());
                    OutputArrivals arrivals = new OutputArrivals(kafka.clientProperties(), names, cfg.predictions())) {
                Map<String, Long> sentAt = new ConcurrentHashMap<>();
                warmUp.forEach(doc -> send(producer, names.documents(), doc, sentAt));
                producer.flush();
                arrivals.await(warmUp, DRAIN_TIMEOUT, job);
                if (!atRate.isEmpty()) {
                    System.out.printf(Locale.ROOT, "warm-up: %d documents out; sending %d at the rate, not counted "
                            + "(--warm-up-seconds %d)%n", warmUp.size(), atRate.size(), settings.warmUpSeconds());
                    if (!sendAtRateAndAwait(producer, names.documents(), atRate, settings.rate(), sentAt, arrivals,
                            job)) {
                        throw new IllegalStateException("not every warm-up document's outputs arrived: none came for "
                                + DRAIN_TIMEOUT + ", " + arrivals.missing(atRate) + " missing");
                    }
                }
                System.out.printf(Locale.ROOT, "warm-up: %d documents out; sending %d documents%n",
                        warmUp.size() + atRate.size(), docs.size());
                long start = System.currentTimeMillis();
                boolean complete = sendAtRateAndAwait(producer, names.documents(), docs, settings.rate(), sentAt,
                        arrivals, job);
                report(arrivals, docs, sentAt, tokens, start, settings, cfg.hotStateMemory().getBytes(), checkpoints);
                steal.share(start, System.currentTimeMillis()).ifPresent(share -> System.out.printf(Locale.ROOT,
                        "CPU steal (time the hypervisor gave to others, /proc/stat) from the first send to the last "
                                + "output: %.1f%%%n", 100 * share));
                if (settings.timelineSeconds() > 0) {
                    timeline(arrivals, docs, sentAt, start, settings.timelineSeconds(), checkpoints, steal);
                }
                loadAverage().ifPresent(load -> System.out.println("load average at the end (1, 5, 15 min; other "
                        + "processes count too): " + load));
                if (!complete) {
                    throw new IllegalStateException("not every document's outputs arrived: none came for "
                            + DRAIN_TIMEOUT + ", " + arrivals.missing(docs) + " missing");
                }
            } finally {
                sampler.shutdownNow();
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static void report(OutputArrivals arrivals, List<Document> docs, Map<String, Long> sentAt, long tokens,
            long start, Settings settings, long hotStateBytes, CheckpointWatch checkpoints) {
        System.out.printf(Locale.ROOT, "latency from each document's Kafka record timestamp to its output read by a "
                + "%s consumer:%n", OutputArrivals.ISOLATION);
        long lastArrival = 0;
        for (boolean predictions : arrivals.predictionsOn() ? List.of(true, false) : List.of(false)) {
            Map<String, Long> arrived = arrivals.arrivals(predictions);
            long[] millis = docs.stream().filter(d -> arrived.containsKey(d.id()))
                    .mapToLong(d -> arrived.get(d.id()) - sentAt.get(d.id())).toArray();
            lastArrival = Math.max(lastArrival, arrived.values().stream().mapToLong(Long::longValue).max().orElse(0));
            System.out.printf(Locale.ROOT, "  %-11s %s%n", predictions ? "predictions" : "embeddings",
                    millis.length == 0 ? "none arrived" : LatencySummary.of(millis).format());
        }
        System.out.printf(Locale.ROOT, "  repeats read (same document id again): %d%n", arrivals.repeats());
        double seconds = (lastArrival - start) / 1000.0;
        System.out.printf(Locale.ROOT, "throughput, first send to last output: %.2f documents/s, %,.0f tokens/s "
                + "(%.1f s)%s%n", docs.size() / seconds, tokens / seconds, seconds,
                settings.maxRate() ? ": the job's capacity at these settings" : "");
        Map<String, Histogram> chunkTimes = CollectingReporter.histograms("chunkLatencyMillis"::equals);
        long chunks = chunkTimes.values().stream().mapToLong(Histogram::getCount).sum();
        long forwards = CollectingReporter.histograms("chunksPerBatch"::equals).values().stream()
                .mapToLong(Histogram::getCount).sum();
        System.out.printf(Locale.ROOT, "encoders: %d chunks, %.0f tokens per chunk, in %d forwards (%.1f chunks per "
                        + "forward; warm-up included)%n", chunks,
                CollectingReporter.sum("tokensEncoded"::equals) / Math.max(1, chunks), forwards,
                chunks / (double) Math.max(1, forwards));
        for (Map.Entry<String, Histogram> e : chunkTimes.entrySet()) {
            HistogramStatistics stats = e.getValue().getStatistics();
            System.out.printf(Locale.ROOT, "  encoder subtask %s: time per forward p50 %.0f ms, p99 %.0f ms%n",
                    subtask(e.getKey()), stats.getQuantile(0.5), stats.getQuantile(0.99));
        }
        System.out.printf(Locale.ROOT, "encoders' hot k/v memory: peak %,.0f bytes held at once (largest subtask; "
                        + "hot-state-memory %,d bytes each), %,.0f streams held at the end, %,.0f evictions, %,.0f "
                        + "reloads%n", CollectingReporter.max("hotStatePeakBytes"::equals),
                hotStateBytes, CollectingReporter.sum("hotStreams"::equals),
                CollectingReporter.sum("hotStreamEvictions"::equals),
                CollectingReporter.sum("hotStreamReloads"::equals));
        for (Map.Entry<String, Histogram> e : CollectingReporter.histograms("barrierWriteMillis"::equals).entrySet()) {
            HistogramStatistics stats = e.getValue().getStatistics();
            System.out.printf(Locale.ROOT, "  encoder subtask %s: state writes at a barrier (no output meanwhile) p50 "
                            + "%.0f ms, max %d ms over %d checkpoints%n", subtask(e.getKey()), stats.getQuantile(0.5),
                    stats.getMax(), e.getValue().getCount());
        }
        System.out.printf(Locale.ROOT, "checkpoints: %d completed (warm-up included; %d between two samples, unseen), "
                + "durations %s%n", checkpoints.completed(), checkpoints.missed(),
                checkpoints.durations().map(d -> d.format("seen")).orElse("none seen"));
        for (Map.Entry<String, Histogram> e : CollectingReporter.histograms("documentLatencyMillis"::equals)
                .entrySet()) {
            HistogramStatistics stats = e.getValue().getStatistics();
            System.out.printf(Locale.ROOT, "job metric documentLatencyMillis (record timestamp to the heads' emission, "
                            + "warm-up included), subtask %s: p50 %.0f ms, p99 %.0f ms, max %d ms over %d documents%n",
                    subtask(e.getKey()), stats.getQuantile(0.5), stats.getQuantile(0.99), stats.getMax(),
                    e.getValue().getCount());
        }
    }

    /**
     * Per window of {@code seconds} from {@code start} by send time: documents sent, the p50 and max of their
     * latencies, the CPU steal over the window (where Linux tells it), the bytes the checkpoints seen completing in
     * the window uploaded (incremental: new SST files, compactions' outputs included) and their durations.
     */
    private static void timeline(OutputArrivals arrivals, List<Document> docs, Map<String, Long> sentAt,
            long start, int seconds, CheckpointWatch checkpoints, CpuSteal steal) {
        Map<String, Long> arrived = arrivals.arrivals(arrivals.predictionsOn());
        long window = seconds * 1000L;
        long last = docs.stream().mapToLong(d -> sentAt.get(d.id())).max().orElse(start);
        System.out.printf(Locale.ROOT, "timeline (windows of %d s by send time; latencies of the %s):%n", seconds,
                arrivals.predictionsOn() ? "predictions" : "embeddings");
        for (long from = start; from <= last; from += window) {
            long lo = from;
            long[] millis = docs.stream().filter(d -> sentAt.get(d.id()) >= lo && sentAt.get(d.id()) < lo + window
                    && arrived.containsKey(d.id())).mapToLong(d -> arrived.get(d.id()) - sentAt.get(d.id())).toArray();
            Optional<LatencySummary> summary = millis.length == 0 ? Optional.empty()
                    : Optional.of(LatencySummary.of(millis)); // the quantiles of the whole run's report
            OptionalDouble stolen = steal.share(lo, lo + window);
            System.out.printf(Locale.ROOT,
                    "  +%4d s  %4d out  p50 %,6d ms  max %,6d ms  steal %s  uploaded %,6.1f MB  checkpoints (ms) "
                            + "%s%n",
                    (from - start) / 1000, millis.length, summary.map(LatencySummary::p50).orElse(0L),
                    summary.map(LatencySummary::max).orElse(0L),
                    stolen.isPresent() ? String.format(Locale.ROOT, "%3.0f%%", 100 * stolen.getAsDouble()) : " n/a",
                    checkpoints.uploadedBytesSeen(lo, lo + window) / 1e6, checkpoints.durationsSeen(lo, lo + window));
        }
    }

    /** The machine's load averages, where Linux tells them: a shared machine's noise, printed with the figures. */
    static java.util.Optional<String> loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return java.util.Optional.of(String.join(" ", List.of(fields).subList(0, Math.min(3, fields.length))));
        } catch (java.io.IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** The subtask index in a metric identifier {@code host.taskmanager.tm.job.operator.SUBTASK.name}. */
    private static String subtask(String identifier) {
        String[] parts = identifier.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] : identifier;
    }

    private static KafkaProducer<String, byte[]> producer(Properties clientProps) {
        Properties props = new Properties();
        props.putAll(clientProps);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0"); // each document goes out when it is due
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /** Sends {@code doc} keyed by its stream, its record timestamp the send time, noted in {@code sentAt}. */
    private static void send(KafkaProducer<String, byte[]> producer, String topic, Document doc,
            Map<String, Long> sentAt) {
        long now = System.currentTimeMillis();
        sentAt.put(doc.id(), now);
        producer.send(new ProducerRecord<>(topic, null, now, doc.stream(), doc.toJson()));
    }

    /**
     * Sends {@code docs} at {@code rate} from a thread of its own while this one notes their outputs; false when
     * none arrived for {@link #DRAIN_TIMEOUT} after the last send.
     */
    private static boolean sendAtRateAndAwait(KafkaProducer<String, byte[]> producer, String topic,
            List<Document> docs, double rate, Map<String, Long> sentAt, OutputArrivals arrivals, JobClient job)
            throws Exception {
        Thread sender = new Thread(() -> sendAtRate(producer, topic, docs, rate, sentAt), "bench-latency-sender");
        sender.start();
        long sendSeconds = Double.isInfinite(rate) ? 0 : (long) Math.ceil(docs.size() / rate);
        boolean complete = arrivals.await(docs, Duration.ofSeconds(sendSeconds).plus(DRAIN_TIMEOUT), job);
        sender.join();
        return complete;
    }

    /** Open loop: document i goes out at start + i / rate, however late the outputs are. */
    private static void sendAtRate(KafkaProducer<String, byte[]> producer, String topic, List<Document> docs,
            double rate, Map<String, Long> sentAt) {
        long start = System.nanoTime();
        for (int i = 0; i < docs.size(); i++) {
            if (!Double.isInfinite(rate)) {
                long due = start + (long) (i * 1e9 / rate);
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
            }
            send(producer, topic, docs.get(i), sentAt);
        }
        producer.flush();
    }

    /**
     * A consumer of the embeddings and predictions topics from their start that notes when the first output of each
     * document id arrived (wall clock, ms) and counts repeats. Output records are keyed by document id.
     */
    static final class OutputArrivals implements AutoCloseable {
        static final String ISOLATION = "read_committed";
        private static final long STATUS_CHECK_NANOS = 1_000_000_000L;

        private final KafkaConsumer<String, byte[]> consumer;
        private final TopicNames topics;
        private final boolean predictionsOn;
        private final Map<String, Long> predictions = new HashMap<>();
        private final Map<String, Long> embeddings = new HashMap<>();
        private int repeats;

        /** @param predictionsOn whether the job writes predictions (else only embeddings are awaited) */
        OutputArrivals(Properties clientProps, TopicNames topics, boolean predictionsOn) {
            this.topics = topics;
            this.predictionsOn = predictionsOn;
            Properties props = new Properties();
            props.putAll(clientProps);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, ISOLATION);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10"); // an output is noted when it is readable
            consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.embeddings(), topics.predictions())) {
                consumer.partitionsFor(topic, Duration.ofSeconds(30))
                        .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        /** Waits until every document's outputs arrived; false when none arrives for {@code timeout}. */
        boolean await(List<Document> docs, Duration timeout, JobClient job) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            long seen = predictions.size() + embeddings.size();
            long nextStatusCheck = System.nanoTime();
            while (missing(docs) > 0) {
                if (predictions.size() + embeddings.size() > seen) {
                    seen = predictions.size() + embeddings.size();
                    deadline = System.nanoTime() + timeout.toNanos();
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                if (System.nanoTime() > nextStatusCheck) {
                    // Asked once a second, not at every poll: each ask is a round trip to the JobManager, which
                    // took a sixth of a core from the job being measured.
                    if (job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                        throw new IllegalStateException("the job ended: " + job.getJobStatus().get());
                    }
                    nextStatusCheck = System.nanoTime() + STATUS_CHECK_NANOS;
                }
                poll();
            }
            return true;
        }

        private void poll() {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                long now = System.currentTimeMillis();
                Map<String, Long> arrived = record.topic().equals(topics.predictions()) ? predictions : embeddings;
                if (arrived.putIfAbsent(record.key(), now) != null) {
                    repeats++;
                }
            }
        }

        long missing(List<Document> docs) {
            return docs.stream().filter(d -> (predictionsOn && !predictions.containsKey(d.id()))
                    || !embeddings.containsKey(d.id())).count();
        }

        boolean predictionsOn() {
            return predictionsOn;
        }

        Map<String, Long> arrivals(boolean ofPredictions) {
            return ofPredictions ? predictions : embeddings;
        }

        int repeats() {
            return repeats;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
