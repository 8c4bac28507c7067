package io.longnet.cli;

import io.longnet.job.JobOptions;
import java.util.Arrays;
import java.util.List;

/** The {@code longnet} command line: one subcommand per task; a bad input exits non-zero with one line. */
public final class Main {

    private static final String USAGE = String.join("\n",
            "usage: longnet COMMAND [--flag value ...]",
            "  forward --model DIR --tokens IN.safetensors --out OUT.safetensors [--chunk N] [--outputs logits,features]",
            "  init    --config CONFIG.json --seed S --out DIR",
            "  grad    --model DIR --tokens IN.safetensors --out OUT.safetensors [--chunk N]",
            "          mean next-token loss of a token batch and the exact gradient of every parameter",
            "  " + TrainCommand.USAGE,
            "          trains the decoder on a tree or zip of source files; the same command resumes",
            "  " + EvalCommand.USAGE,
            "          held-out bits per byte by position in the stream, and the recall probe",
            "  bench   [--kernel-tokens N] [--decoder-tokens N] [--chunk N] [--threads N] [--plot FILE.png]",
            "          ND4J gemm, dilated attention and streaming decoder throughput",
            "  bench-pipeline [--model DIR] [--documents N] [--chunk-size C] [--parallelism P]",
            "          [--checkpoint-interval D]",
            "          the corpus job (in-process Kafka, local Flink) against the bare encoder; disk bytes/token",
            "  bench-latency [--rate R|max] [--duration S] [--documents N] [--streams K] [--model DIR] [--parallelism P]",
            "          [--delivery-guarantee G] [--checkpoint-interval D] [--flush-interval D] [--batch-wait D]",
            "          [--chunk-size C] [--predictions false] [--hot-state-memory M] [--unwritten-state-memory M]",
            "          [--encoder-threads T] [--warm-up N] [--warm-up-seconds S] [--timeline S]",
            "          [--broker in-process|process]",
            "          documents at R/s through the job (in-process Kafka, local Flink); p50/p90/p99/max to each output",
            "  topics  create [--bootstrap-servers H:P] [--properties FILE] [--partitions N] [--replication R]",
            "  run     --bootstrap-servers H:P --model DIR [--parallelism N] [--config FILE] [--properties FILE]",
            "          [--fresh | --from-savepoint PATH] [--web-ui-port P] [--metrics-port P] [--job-option value ...]",
            "          the corpus job on a local Flink against an external Kafka; resumes from its newest checkpoint",
            "  cluster start [--dir DIR] [--taskmanagers N] [--slots S] [--rest-port P] [--rpc-port P] [--metrics-port P]",
            "          [--jobmanager-memory M] [--taskmanager-memory M]   a Flink session cluster on this machine",
            "  cluster add-taskmanager|stop|status [--dir DIR]",
            "  submit  [--jobmanager H:P] [--parallelism N] [--from-savepoint PATH | --from-latest-checkpoint DIR]",
            "          --bootstrap-servers H:P --model DIR [--job-option value ...]   the corpus job on a cluster",
            "  demo    [--model DIR | --untrained] [--corpus code|prose] [--documents N] [--parallelism P] "
                    + "[--timeout SECONDS]",
            "          in-process Kafka + local Flink: sample corpus in, embeddings and predictions out",
            "job options (run, submit, and flink run of the -job.jar):");

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("help")) {
            System.out.println(USAGE);
            System.out.print(JobOptions.describe());
            return argv.length == 0 ? 2 : 0;
        }
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        try {
            switch (argv[0]) {
                case "forward" -> ForwardCommand.run(rest);
                case "init" -> System.out.println("wrote model " + InitCommand.run(rest).fingerprint());
                case "grad" -> GradCommand.run(rest);
                case "train" -> TrainCommand.run(rest);
                case "eval" -> EvalCommand.run(rest);
                case "bench" -> BenchCommand.run(rest);
                case "bench-pipeline" -> PipelineBenchCommand.run(rest);
                case "bench-latency" -> LatencyBenchCommand.run(rest);
                case "topics" -> TopicsCommand.run(rest);
                case "run" -> RunCommand.run(rest);
                case "cluster" -> ClusterCommand.run(rest);
                case "submit" -> SubmitCommand.run(rest);
                case "demo" -> DemoCommand.run(rest);
                default -> throw new Args.UsageException(argv[0] + ": unknown command\n" + USAGE);
            }
            return 0;
        } catch (Args.UsageException e) {
            System.err.println("longnet " + e.getMessage()); // the message starts with the command
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println("longnet " + argv[0] + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("longnet " + argv[0] + ": " + e);
            return 1;
        }
    }
}
