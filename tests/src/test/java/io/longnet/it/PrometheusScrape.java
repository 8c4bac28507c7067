package io.longnet.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The samples of Prometheus endpoints (text format 0.0.4), as a scraper reads them. */
final class PrometheusScrape {

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final List<Sample> samples;

    private PrometheusScrape(List<Sample> samples) {
        this.samples = samples;
    }

    /** Scrapes every port's {@code /metrics}; a port that does not answer (a process gone) adds nothing. */
    static PrometheusScrape of(List<Integer> ports) throws InterruptedException {
        List<Sample> samples = new ArrayList<>();
        for (int port : ports) {
            try {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                response.body().lines().forEach(line -> parse(line, samples));
            } catch (IOException e) {
                // not listening
            }
        }
        return new PrometheusScrape(samples);
    }

    private static void parse(String line, List<Sample> into) {
        if (line.isBlank() || line.startsWith("#")) {
            return;
        }
        Matcher m = SAMPLE.matcher(line.strip());
        if (!m.matches()) {
            throw new AssertionError("not a Prometheus sample: " + line);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(2) != null) {
            Matcher l = LABEL.matcher(m.group(2));
            while (l.find()) {
                labels.put(l.group(1), l.group(2));
            }
        }
        into.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }

    /** A label value as Flink's Prometheus reporter writes it: characters other than [a-zA-Z0-9:_] become '_'. */
    static String labelValue(String value) {
        return value.replaceAll("[^a-zA-Z0-9:_]", "_");
    }

    /** The sum of the samples named {@code name} whose labels include all of {@code labels}. */
    double sum(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name)
                        && s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value).sum();
    }

    /** The values of label {@code label} among the samples named {@code name} with {@code labels}, summed by it. */
    Map<String, Double> sumBy(String name, String label, Map<String, String> labels) {
        Map<String, Double> sums = new LinkedHashMap<>();
        samples.stream().filter(s -> s.name().equals(name) && s.labels().containsKey(label)
                        && s.labels().entrySet().containsAll(labels.entrySet()))
                .forEach(s -> sums.merge(s.labels().get(label), s.value(), Double::sum));
        return sums;
    }
}
