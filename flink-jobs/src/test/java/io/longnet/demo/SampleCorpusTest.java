package io.longnet.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.kafka.Document;
import io.longnet.kafka.DocumentParser;
import io.longnet.kafka.ParseOutcome;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SampleCorpusTest {

    @Test
    void bundledCorpusHasTwoStreamsOfTwentyParagraphsInOrder() {
        List<Document> docs = SampleCorpus.documents(40);

        Map<String, Long> perStream = docs.stream().collect(Collectors.groupingBy(Document::stream, Collectors.counting()));
        assertThat(perStream).containsOnly(Map.entry("field-notes", 20L), Map.entry("harbor-log", 20L));
        assertThat(docs.stream().map(Document::id).distinct().count()).isEqualTo(40);
        assertThat(docs.get(0).id()).isEqualTo("field-notes-001");
        assertThat(docs.get(1).id()).isEqualTo("harbor-log-001");
        assertThat(docs.get(0).text()).startsWith("The first frost came early this year.");
        assertThat(docs).allSatisfy(d -> assertThat(DocumentParser.withDefaultLimit().parse(d.toJson()).isValid()).isTrue());
    }

    @Test
    void moreDocumentsThanBundledStartOverWithDistinctIds() {
        List<Document> docs = SampleCorpus.documents(45);

        assertThat(docs).hasSize(45);
        assertThat(docs.stream().map(Document::id).distinct().count()).isEqualTo(45);
        assertThat(docs.get(40).id()).isEqualTo("field-notes-021");
        assertThat(docs.get(40).text()).endsWith("(pass 2)");
    }

    @Test
    void badRecordsAreAllRejectedByTheParser() {
        DocumentParser parser = DocumentParser.withDefaultLimit();

        assertThat(SampleCorpus.badRecords()).hasSize(3)
                .allSatisfy(bad -> assertThat(parser.parse(bad.value())).isInstanceOf(ParseOutcome.Rejected.class));
    }
}
