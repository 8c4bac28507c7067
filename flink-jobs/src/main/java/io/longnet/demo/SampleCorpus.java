package io.longnet.demo;

import io.longnet.kafka.Document;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The demo's bundled corpus: short paragraphs written for this project (resources
 * {@code io/longnet/demo/*.txt}, one paragraph per blank-line-separated block), in two streams, plus a few
 * records that must end up in the dead-letter topic. Nothing is downloaded.
 */
public final class SampleCorpus {

    /** The two streams, each one resource file. */
    public static final List<String> STREAMS = List.of("field-notes", "harbor-log");

    private SampleCorpus() {
    }

    /**
     * {@code count} documents, alternating between the streams, each stream in its own paragraph order.
     * Past the bundled paragraphs the corpus starts over, the text marked with the pass number.
     */
    public static List<Document> documents(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("documents must be >= 1, got " + count);
        }
        List<List<String>> paragraphs = STREAMS.stream().map(SampleCorpus::paragraphs).toList();
        List<Document> docs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int s = i % STREAMS.size();
            int n = i / STREAMS.size();                  // n-th document of stream s
            List<String> texts = paragraphs.get(s);
            int pass = n / texts.size();
            String text = texts.get(n % texts.size()) + (pass == 0 ? "" : " (pass " + (pass + 1) + ")");
            String id = String.format(Locale.ROOT, "%s-%03d", STREAMS.get(s), n + 1);
            docs.add(new Document(id, text, STREAMS.get(s), null));
        }
        return docs;
    }

    /**
     * A record the parser must reject.
     *
     * @param stream  the stream key it is written with
     * @param value   its bytes
     * @param problem what is wrong with it, for display
     */
    public record BadRecord(String stream, byte[] value, String problem) {
        public BadRecord {
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }
    }

    /** Not JSON, a document without text, and bytes that are not UTF-8, in this corpus's streams. */
    public static List<BadRecord> badRecords() {
        return badRecords(STREAMS.get(0), STREAMS.get(1));
    }

    /** {@link #badRecords()}, keyed by two given streams (any corpus's). */
    public static List<BadRecord> badRecords(String stream, String otherStream) {
        return List.of(
                new BadRecord(stream, utf8("this line is not JSON {"), "not JSON"),
                new BadRecord(otherStream, utf8("{\"v\":1,\"id\":\"no-text\",\"stream\":\"" + otherStream + "\"}"),
                        "missing text"),
                new BadRecord(stream, new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'},
                        "not UTF-8"));
    }

    static List<String> paragraphs(String stream) {
        String resource = stream + ".txt";
        try (InputStream in = SampleCorpus.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("sample corpus resource " + resource + " is missing from the class path");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return Arrays.stream(text.split("\\n\\s*\\n")).map(String::strip).filter(p -> !p.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sample corpus resource " + resource, e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
