package io.longnet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.kafka.Document;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LatencyBenchCommandTest {

    /** The command's own flags and the job options it passes through, as {@code run} knows them. */
    private static final Set<String> KNOWN = known();

    private static Set<String> known() {
        Set<String> known = new java.util.HashSet<>(Set.of("rate", "duration", "documents", "streams", "parallelism",
                "warm-up", "warm-up-seconds", "timeline", "broker"));
        known.addAll(LatencyBenchCommand.JOB_OPTIONS);
        return known;
    }

    private static LatencyBenchCommand.Settings settings(String... argv) {
        return LatencyBenchCommand.settings(new Args("bench-latency", List.of(argv), KNOWN));
    }

    @Test
    void aRateRunsForItsDurationAndMaxSendsAFixedNumberAtOnce() {
        LatencyBenchCommand.Settings defaults = settings();
        assertThat(defaults.rate()).isEqualTo(2.0);
        assertThat(defaults.documents()).isEqualTo(120);
        assertThat(defaults.streams()).isEqualTo(3);
        assertThat(defaults.jobOptions()).isEmpty();
        assertThat(defaults.warmUpPerStream()).isEqualTo(3);
        assertThat(settings("--warm-up", "0").warmUpPerStream()).isZero();
        assertThat(defaults.warmUpSeconds()).isEqualTo(30);
        assertThat(settings("--warm-up-seconds", "0").warmUpSeconds()).isZero();
        assertThat(defaults.timelineSeconds()).as("no timeline unless asked").isZero();
        assertThat(settings("--timeline", "5").timelineSeconds()).isEqualTo(5);
        assertThat(defaults.brokerProcess()).as("the broker in the bench's JVM unless asked").isFalse();
        assertThat(settings("--broker", "process").brokerProcess()).isTrue();
        assertThat(settings("--broker", "in-process").brokerProcess()).isFalse();

        assertThat(settings("--rate", "2.5", "--duration", "10").documents()).isEqualTo(25);
        assertThat(settings("--rate", "2.5", "--documents", "7").documents()).isEqualTo(7);
        LatencyBenchCommand.Settings max = settings("--rate", "max");
        assertThat(max.maxRate()).isTrue();
        assertThat(max.documents()).isEqualTo(300);

        assertThat(settings("--delivery-guarantee", "at-least-once", "--checkpoint-interval", "1 s",
                "--hot-state-memory", "2 gb", "--unwritten-state-memory", "4 mb", "--encoder-threads", "1")
                .jobOptions())
                .isEqualTo(Map.of("delivery-guarantee", "at-least-once", "checkpoint-interval", "1 s",
                        "hot-state-memory", "2 gb", "unwritten-state-memory", "4 mb", "encoder-threads", "1"));
    }

    @Test
    void badRatesAreUsageErrorsNamingTheFlag() {
        assertThatThrownBy(() -> settings("--rate", "fast"))
                .hasMessage("bench-latency: --rate must be documents per second or max, got \"fast\"");
        assertThatThrownBy(() -> settings("--rate", "0")).hasMessage("bench-latency: --rate must be positive, got 0");
        assertThatThrownBy(() -> settings("--rate", "-3")).hasMessageContaining("--rate must be positive");
        assertThatThrownBy(() -> settings("--streams", "0")).hasMessageContaining("--streams must be a positive");
        assertThatThrownBy(() -> settings("--warm-up", "-1"))
                .hasMessage("bench-latency: --warm-up must be documents per stream, >= 0, got \"-1\"");
        assertThatThrownBy(() -> settings("--warm-up-seconds", "soon"))
                .hasMessage("bench-latency: --warm-up-seconds must be seconds, >= 0, got \"soon\"");
        assertThatThrownBy(() -> settings("--timeline", "0")).hasMessageContaining("--timeline must be a positive");
        assertThatThrownBy(() -> settings("--broker", "remote"))
                .hasMessage("bench-latency: --broker must be in-process or process, got \"remote\"");
    }

    @Test
    void documentsGoRoundRobinOverTheStreamsWithTheirOwnIds() {
        assertThat(LatencyBenchCommand.documents("warm-up", 0, 2, 0)).as("--warm-up 0").isEmpty();
        List<Document> docs = LatencyBenchCommand.documents("bench", 5, 2, 3);
        assertThat(docs).extracting(Document::id)
                .containsExactly("bench-000000", "bench-000001", "bench-000002", "bench-000003", "bench-000004");
        assertThat(docs).extracting(Document::stream)
                .containsExactly("stream-0", "stream-1", "stream-0", "stream-1", "stream-0");
        assertThat(docs).allSatisfy(d -> assertThat(d.text()).isNotBlank());
    }
}
