package io.longnet.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.kafka.Document;
import io.longnet.kafka.DocumentParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeCorpusTest {

    @TempDir
    Path checkout;

    @Test
    void theThreeLargestPackagesAreStreamsTheirFilesDocumentsInTurn() throws IOException {
        write("a/src/main/java/p/one/A.java", "class A {}");
        write("a/src/main/java/p/one/B.java", "class B {}");
        write("a/src/main/java/p/one/C.java", "class C {}");
        write("b/src/main/java/p/two/D.java", "class D {}");
        write("b/src/main/java/p/two/E.java", "class E {}");
        write("b/src/main/java/p/three/F.java", "class F {}");
        write("b/src/main/java/p/three/G.java", "class G {}");
        write("b/src/main/java/p/four/H.java", "class H {}");       // smallest package: not a stream
        write("b/src/main/java/p/two/Empty.java", "");             // no text: no document
        write("b/src/test/java/p/one/ATest.java", "class ATest {}"); // tests are not sent
        write("b/target/src/main/java/p/one/Copy.java", "class Copy {}");

        CodeCorpus corpus = CodeCorpus.find(checkout).orElseThrow();
        List<Document> docs = corpus.documents(100);

        assertThat(corpus.streams()).containsExactly("p.one", "p.three", "p.two");
        assertThat(docs).extracting(Document::id).containsExactly(
                "a/src/main/java/p/one/A.java", "b/src/main/java/p/three/F.java", "b/src/main/java/p/two/D.java",
                "a/src/main/java/p/one/B.java", "b/src/main/java/p/three/G.java", "b/src/main/java/p/two/E.java",
                "a/src/main/java/p/one/C.java");
        assertThat(docs.get(1).stream()).isEqualTo("p.three");
        assertThat(docs.get(1).text()).isEqualTo("class F {}");
        assertThat(corpus.documents(4)).extracting(Document::id).containsExactly(
                "a/src/main/java/p/one/A.java", "b/src/main/java/p/three/F.java", "b/src/main/java/p/two/D.java",
                "a/src/main/java/p/one/B.java");
        assertThatThrownBy(() -> corpus.documents(0)).hasMessageContaining("documents must be >= 1");
    }

    @Test
    void noSourcesNoCorpus() throws IOException {
        write("README.md", "no code here");
        assertThat(CodeCorpus.find(checkout)).isEmpty();
        assertThat(CodeCorpus.find(checkout.resolve("missing"))).isEmpty();
    }

    /** The demo's real corpus: this checkout's own sources, every file a valid document. */
    @Test
    void theProjectsOwnSourcesMakeAValidCorpus() {
        CodeCorpus corpus = CodeCorpus.find(Path.of("..").toAbsolutePath().normalize()).orElseThrow();
        List<Document> docs = corpus.documents(36);

        assertThat(docs).hasSize(36);
        assertThat(docs.stream().map(Document::stream).distinct().count()).isEqualTo(CodeCorpus.STREAMS);
        assertThat(docs).allSatisfy(d -> {
            assertThat(d.text()).contains("package " + d.stream() + ";");
            assertThat(DocumentParser.withDefaultLimit().parse(d.toJson()).isValid()).isTrue();
        });
    }

    private void write(String relative, String text) throws IOException {
        Path file = checkout.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
