package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.cli.LatencyBenchCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code longnet bench-latency} as the README shows it, small: it runs the job against its own in-process broker
 * and prints a latency line per output topic with every document counted. The figures themselves are the
 * benchmark's business, not this test's.
 */
class LatencyBenchITCase {

    @Test
    void printsTheLatencyOfEveryDocumentsOutputs() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            // Throws when not every document's outputs arrive.
            LatencyBenchCommand.run(List.of("--rate", "10", "--documents", "12", "--streams", "2",
                    "--delivery-guarantee", "at-least-once", "--checkpoint-interval", "1 s",
                    "--flush-interval", "100 ms", "--encoder-threads", "1", "--warm-up-seconds", "1",
                    "--timeline", "1", "--broker", "process"));
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).containsPattern("broker in a JVM of its own \\(pid [0-9]+\\)");
        assertThat(printed).contains("delivery-guarantee at-least-once, checkpoint-interval 1000 ms",
                "parallelism 1, encoder-threads 1;",
                "by a read_committed consumer", "repeats read (same document id again): 0");
        assertThat(printed).containsPattern("predictions +p50 +[0-9,]+ ms +p90 +[0-9,]+ ms +p99 +[0-9,]+ ms +max +[0-9,]+ "
                + "ms +\\(12 outputs\\)");
        assertThat(printed).containsPattern("embeddings +p50 .*\\(12 outputs\\)");
        // 3 per stream before, 10 at the rate for --warm-up-seconds 1, the 12 counted
        assertThat(printed).contains("sending 10 at the rate, not counted (--warm-up-seconds 1)");
        assertThat(printed).containsPattern("job metric documentLatencyMillis .* over 28 documents");
        assertThat(printed).containsPattern("state writes at a barrier \\(no output meanwhile\\) p50 [0-9]+ ms");
        assertThat(printed).containsPattern("timeline \\(windows of 1 s by send time.*\\n +\\+ +0 s +10 out "
                + ".* uploaded +[0-9,]+\\.[0-9] MB +checkpoints \\(ms\\) \\[");
        assertThat(printed)
                .containsPattern("CPU steal \\(.*\\) from the first send to the last output: [0-9]+\\.[0-9]%");
    }
}
