package io.longnet.cli;

import io.longnet.bench.CheckpointWatch;
import io.longnet.bench.CollectingReporter;
import io.longnet.bench.ProcessIo;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.decoder.StreamingDecoder;
import io.longnet.demo.DemoModel;
import io.longnet.demo.SampleCorpus;
import io.longnet.job.CorpusJob;
import io.longnet.job.JobConfig;
import io.longnet.job.JobOptions;
import io.longnet.job.KeyedStateRocksDbOptions;
import io.longnet.job.ModelCheck;
import io.longnet.job.LocalExecution;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddedKafka;
import io.longnet.kafka.OutputReader;
import io.longnet.kafka.TopicAdmin;
import io.longnet.kafka.TopicNames;
import io.longnet.kafka.Topics;
import io.longnet.model.ModelDirectory;
import io.longnet.ops.ChunkEncoder;
import io.longnet.ops.EncoderStream;
import io.longnet.state.KvPersistence;
import io.longnet.text.Chunk;
import io.longnet.text.ChunkerConfig;
import io.longnet.text.CorpusTokenizer;
import io.longnet.text.DocSpan;
import io.longnet.text.StreamChunker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.View;
import org.apache.flink.state.rocksdb.RocksDBNativeMetricOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code longnet bench-pipeline [--model DIR] [--documents N] [--chunk-size C] [--parallelism P]
 * [--checkpoint-interval D]}: the corpus job's throughput against the bare encoder on the same token sequence, and
 * the bytes it writes to disk per token, against the new kept k/v rows, split into RocksDB's compactions and the
 * checkpoints' uploads. One run, one machine, so the ratio is meaningful even where the absolute figures are noisy.
 *
 * <ol>
 *   <li>Bare: the sample corpus tokenized and chunked as the job does, each stream run through
 *       {@link StreamingDecoder} alone (features), then through {@link ChunkEncoder} (features, logits, NLL,
 *       top-k: the encoder operator's work), on this thread.</li>
 *   <li>Pipeline: the same documents through an in-process broker and the job on a local MiniCluster with
 *       RocksDB; its encoders' counters read through a metric reporter while the outputs are awaited.</li>
 * </ol>
 */
public final class PipelineBenchCommand {

    static final int DEFAULT_DOCUMENTS = 600;
    static final int DEFAULT_CHUNK = 512;
    static final String DEFAULT_CHECKPOINT_INTERVAL = "2 s";
    static final Duration TIMEOUT = Duration.ofMinutes(10);
    static final String REPORTER = "longnet-bench";

    private static final Predicate<String> TOKENS_ENCODED = "tokensEncoded"::equals;
    private static final Predicate<String> STATE_BYTES_WRITTEN = "bytesWrittenToState"::equals;
    /** RocksDB's statistics ticker BYTES_WRITTEN (every put's key and value bytes), one gauge per operator. */
    private static final Predicate<String> ROCKSDB_BYTES_WRITTEN = "rocksdb_bytes_written"::equals;
    /** RocksDB's statistics ticker COMPACT_WRITE_BYTES (the SST bytes its compactions wrote), one per operator. */
    private static final Predicate<String> ROCKSDB_COMPACTION_BYTES =
            name -> name.startsWith("rocksdb_compact") && name.endsWith("write_bytes");

    private PipelineBenchCommand() {
    }

    public static void run(List<String> argv) throws Exception {
        Args args = new Args("bench-pipeline", argv, Set.of("model", "documents", "chunk-size", "parallelism",
                JobOptions.CHECKPOINT_INTERVAL.key()));
        int documents = args.positiveInt("documents", DEFAULT_DOCUMENTS);
        int chunkSize = args.positiveInt("chunk-size", DEFAULT_CHUNK);
        int parallelism = args.positiveInt("parallelism", 1);
        String checkpointInterval = args.optional(JobOptions.CHECKPOINT_INTERVAL.key(), DEFAULT_CHECKPOINT_INTERVAL);
        Path work = Files.createTempDirectory("longnet-bench-pipeline-");
        try {
            run(args.has("model") ? Path.of(args.required("model")) : null, documents, chunkSize, parallelism,
                    checkpointInterval, work);
        } finally {
            DemoCommand.deleteRecursively(work);
        }
    }

    private static void run(Path givenModel, int documents, int chunkSize, int parallelism, String checkpointInterval,
            Path work) throws Exception {
        int topK = JobOptions.TOP_K.defaultValue();
        // The bare stages run the same chunks as the job: the job's checks of chunk-size against the model come
        // first, so that a chunk-size the job refuses is refused here with the same message, not met deep inside.
        ModelDirectory model = ModelCheck.validate(givenModel != null ? givenModel
                : DemoModel.writeUntrained(work.resolve("untrained-model")).dir(), topK, chunkSize, true);

        List<Document> docs = SampleCorpus.documents(documents);
        CorpusTokenizer tokenizer = CorpusTokenizer.forModel(model.dir());
        tokenizer.checkModelVocabulary(model.config().vocabSize());
        Map<String, List<Chunk>> chunks = chunkLikeTheJob(docs, chunkSize, tokenizer);
        long tokens = chunks.values().stream().flatMap(List::stream).mapToLong(Chunk::length).sum();
        System.out.printf(Locale.ROOT, "corpus: %d documents in %d streams, %,d tokens, chunk-size %d; model %s "
                        + "(E=%d, %d layers, vocab %d)%n", docs.size(), chunks.size(), tokens, chunkSize,
                model.fingerprint(), model.config().embedDim(), model.config().layers(), model.config().vocabSize());

        LongNetDecoder decoder = new LongNetDecoder(model.weights());
        double decoderOnly = bareDecoder(decoder, chunks, tokens);
        double bare = bareEncoder(new ChunkEncoder(decoder, model.fingerprint(), topK, true, tokenizer), chunks,
                tokens);
        System.out.printf(Locale.ROOT, "bare StreamingDecoder (features only), one thread    : %8.0f tokens/s%n",
                decoderOnly);
        System.out.printf(Locale.ROOT, "bare ChunkEncoder (+ logits, NLL, top-k), one thread : %8.0f tokens/s%n",
                bare);

        double keptRowBytes = new KvPersistence(model.config()).newRowBytesPerToken();
        long diskBefore = ProcessIo.writeBytes();
        PipelineRun run = pipeline(model.dir(), docs, chunkSize, parallelism, checkpointInterval, tokens, work);
        long diskWritten = ProcessIo.writeBytes() - diskBefore;
        System.out.printf(Locale.ROOT, "pipeline, parallelism %d: encoders %8.0f tokens/s (first to last chunk "
                + "encoded) = %.2f x the bare ChunkEncoder%n", parallelism, run.encoderRate(), run.encoderRate() / bare);
        System.out.printf(Locale.ROOT, "                          end to end %8.0f tokens/s (submit to the last "
                + "output committed, incl. job start-up, %.1f s)%n", tokens / run.endToEndSeconds(),
                run.endToEndSeconds());
        System.out.printf(Locale.ROOT, "new kept k/v rows (analytic, layers x sum_i 2E/r_i floats): %,.0f bytes/token%n",
                keptRowBytes);
        System.out.printf(Locale.ROOT, "checkpoints every %s: %d completed (%d between two samples, unseen), "
                + "durations %s%n", checkpointInterval, run.checkpoints().completed(), run.checkpoints().missed(),
                run.checkpoints().durations().map(d -> d.format("seen")).orElse("none seen"));
        printBytes("encoders' k/v state writes (bytesWrittenToState)", run.stateBytes(), tokens, keptRowBytes);
        printBytes("RocksDB's puts (all keyed state, ticker BYTES_WRITTEN)", run.rocksDbBytes(), tokens, keptRowBytes);
        printBytes("RocksDB's compactions' writes (ticker COMPACT_WRITE_BYTES)", run.compactionBytes(), tokens,
                keptRowBytes);
        if (run.compactionBytes() == 0) {
            System.out.printf(Locale.ROOT, "  (no compaction ran: a column family is compacted every %d to %d "
                    + "checkpoints, so these figures leave compactions out; run more --documents for a steady-state "
                    + "figure)%n", Collections.min(KeyedStateRocksDbOptions.LEVEL0_COMPACTION_TRIGGERS),
                    Collections.max(KeyedStateRocksDbOptions.LEVEL0_COMPACTION_TRIGGERS));
        }
        printBytes("checkpoints' uploads (sum of each checkpoint's checkpointed size)",
                run.checkpoints().uploadedBytes(), tokens, keptRowBytes);
        printBytes("this process's disk writes (/proc/self/io write_bytes: RocksDB's flushes and compactions, the "
                + "checkpoint files, the in-process broker's log)", diskWritten, tokens, keptRowBytes);
    }

    private static void printBytes(String what, double bytes, long tokens, double keptRowBytes) {
        System.out.printf(Locale.ROOT, "%s: %,.0f bytes = %,.0f bytes/token = %.2f x the new kept rows%n", what,
                bytes, bytes / tokens, bytes / tokens / keptRowBytes);
    }

    /** Each stream's documents through a {@link StreamChunker}, as the tokenize-and-chunk operator does. */
    static Map<String, List<Chunk>> chunkLikeTheJob(List<Document> docs, int chunkSize, CorpusTokenizer tokenizer) {
        Map<String, StreamChunker> chunkers = new LinkedHashMap<>();
        Map<String, List<Chunk>> chunks = new LinkedHashMap<>();
        for (Document doc : docs) {
            StreamChunker chunker = chunkers.computeIfAbsent(doc.stream(),
                    s -> new StreamChunker(new ChunkerConfig(chunkSize, tokenizer)));
            chunker.append(doc.id(), tokenizer.encode(doc.text()), doc.text().getBytes(StandardCharsets.UTF_8).length,
                    DocSpan.NO_TIMESTAMP);
            chunks.computeIfAbsent(doc.stream(), s -> new ArrayList<>()).addAll(chunker.drainFull());
        }
        chunkers.forEach((stream, chunker) -> chunker.flush().ifPresent(chunks.get(stream)::add));
        return chunks;
    }

    private static double bareDecoder(LongNetDecoder decoder, Map<String, List<Chunk>> chunks, long tokens) {
        new StreamingDecoder(decoder).accept(firstChunk(chunks).tokens(), false); // warm-up
        long start = System.nanoTime();
        for (List<Chunk> stream : chunks.values()) {
            StreamingDecoder streaming = new StreamingDecoder(decoder);
            stream.forEach(chunk -> streaming.accept(chunk.tokens(), false));
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    private static double bareEncoder(ChunkEncoder encoder, Map<String, List<Chunk>> chunks, long tokens) {
        encoder.encode("warm-up", encoder.newStream(), firstChunk(chunks));
        long start = System.nanoTime();
        chunks.forEach((stream, list) -> {
            EncoderStream state = encoder.newStream();
            list.forEach(chunk -> encoder.encode(stream, state, chunk));
        });
        return tokens / ((System.nanoTime() - start) / 1e9);
    }

    private static Chunk firstChunk(Map<String, List<Chunk>> chunks) {
        return chunks.values().iterator().next().get(0);
    }

    /**
     * @param encoderRate     tokens/s of the encoders from the first to the last chunk they finished
     * @param endToEndSeconds submit to the last output visible to a read_committed consumer
     * @param stateBytes      the encoders' bytesWrittenToState
     * @param rocksDbBytes    RocksDB's BYTES_WRITTEN ticker summed over the operators
     * @param compactionBytes RocksDB's COMPACT_WRITE_BYTES ticker summed over the operators
     * @param checkpoints     the checkpoints seen completing: their count, durations and uploads
     */
    record PipelineRun(double encoderRate, double endToEndSeconds, double stateBytes, double rocksDbBytes,
            double compactionBytes, CheckpointWatch checkpoints) {
    }

    private static PipelineRun pipeline(Path modelDir, List<Document> docs, int chunkSize, int parallelism,
            String checkpointInterval, long tokens, Path work) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            TopicNames names = TopicNames.defaults();
            TopicAdmin.createAll(kafka.clientProperties(), Topics.specs(names, 2, 1));
            DemoCommand.writeInput(kafka.clientProperties(), names.documents(), docs, List.of());
            JobConfig cfg = JobConfig.fromMap(Map.of(
                    JobOptions.BOOTSTRAP_SERVERS.key(), kafka.bootstrapServers(),
                    JobOptions.MODEL_DIR.key(), modelDir.toString(),
                    JobOptions.CHUNK_SIZE.key(), Integer.toString(chunkSize),
                    JobOptions.CHECKPOINT_INTERVAL.key(), checkpointInterval,
                    JobOptions.CHECKPOINT_DIR.key(), work.resolve("checkpoints").toUri().toString()));
            Configuration cluster = new Configuration();
            cluster.setString("metrics.reporter." + REPORTER + ".factory.class",
                    CollectingReporter.Factory.class.getName());
            cluster.set(RocksDBNativeMetricOptions.MONITOR_BYTES_WRITTEN, true);
            cluster.set(RocksDBNativeMetricOptions.MONITOR_COMPACTION_WRITE_BYTES, true);
            StreamExecutionEnvironment env = LocalExecution.environment(parallelism, cluster);
            CorpusJob.build(env, cfg, kafka.clientProperties());
            long submitted = System.nanoTime();
            JobClient job = env.executeAsync(CorpusJob.JOB_NAME);
            try (OutputReader out = new OutputReader(kafka.clientProperties(), names)) {
                return follow(out, job, docs.size(), tokens, submitted);
            } finally {
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** Waits for every output while sampling the encoders' token counter. */
    private static PipelineRun follow(OutputReader out, JobClient job, int documents, long tokens, long submitted)
            throws Exception {
        long deadline = submitted + TIMEOUT.toNanos();
        long firstAt = 0;
        double firstTokens = 0;
        long lastAt = 0;
        CheckpointWatch checkpoints = new CheckpointWatch();
        while (out.embeddings().size() < documents || out.predictions().size() < documents) {
            checkpoints.sample();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pipeline did not finish within " + TIMEOUT + ": "
                        + out.embeddings().size() + " of " + documents + " embeddings, job "
                        + job.getJobStatus().get(10, TimeUnit.SECONDS));
            }
            out.poll(Duration.ofMillis(100));
            double encoded = CollectingReporter.sum(TOKENS_ENCODED);
            if (firstAt == 0 && encoded > 0) {
                firstAt = System.nanoTime();
                firstTokens = encoded;
            }
            if (lastAt == 0 && encoded >= tokens) {
                lastAt = System.nanoTime();
            }
        }
        double endToEnd = (System.nanoTime() - submitted) / 1e9;
        double rate = (tokens - firstTokens) / ((lastAt - firstAt) / 1e9);
        // RocksDB's native metrics are Flink Views, refreshed every View.UPDATE_INTERVAL_SECONDS: wait for one more,
        // still noting the checkpoints that complete meanwhile.
        long refreshed = System.nanoTime() + TimeUnit.SECONDS.toNanos(View.UPDATE_INTERVAL_SECONDS + 1);
        while (System.nanoTime() < refreshed) {
            checkpoints.sample();
            Thread.sleep(100);
        }
        for (Predicate<String> metric : List.of(ROCKSDB_BYTES_WRITTEN, ROCKSDB_COMPACTION_BYTES)) {
            if (CollectingReporter.identifiers(metric).isEmpty()) {
                throw new IllegalStateException("a RocksDB native metric the bench reads was not registered; have: "
                        + CollectingReporter.identifiers(n -> n.contains("rocksdb")));
            }
        }
        checkpoints.sample();
        return new PipelineRun(rate, endToEnd, CollectingReporter.sum(STATE_BYTES_WRITTEN),
                CollectingReporter.sum(ROCKSDB_BYTES_WRITTEN), CollectingReporter.sum(ROCKSDB_COMPACTION_BYTES),
                checkpoints);
    }
}
