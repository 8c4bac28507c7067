package io.longnet.demo;

import io.longnet.kafka.Document;
import io.longnet.train.Corpus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The demo's real-code corpus: this project's own Java sources (the {@code src/main/java} trees of a checkout),
 * code the shipped model never saw (it was trained on the JDK's source). One stream per package, as in training:
 * the {@link #STREAMS} packages with the most files, each a document, in path order within its package, so
 * every stream is one long sequence whose later files can draw on the earlier ones.
 */
public final class CodeCorpus {

    /** Streams (packages) the demo sends. */
    public static final int STREAMS = 3;

    private final Map<String, List<Path>> filesByPackage; // package -> its files in path order
    private final Path root;

    private CodeCorpus(Path root, Map<String, List<Path>> filesByPackage) {
        this.root = root;
        this.filesByPackage = filesByPackage;
    }

    /**
     * The Java sources under {@code checkout}'s {@code src/main/java} trees, or empty if there are none (a
     * machine with the jars only). The tree is read as {@code train} reads one ({@link Corpus}), then regrouped by
     * Java package, so the same package in two modules is one stream.
     */
    public static Optional<CodeCorpus> find(Path checkout) {
        if (checkout == null || !Files.isDirectory(checkout)) {
            return Optional.empty();
        }
        Map<String, List<Path>> byPackage = new TreeMap<>();
        try (Corpus tree = Corpus.open(checkout, Set.of(".java"))) {
            for (Corpus.Package directory : tree.packages()) {
                for (String file : directory.files()) {
                    Path relative = Path.of(file);
                    if (isMainSource(relative) && hasText(checkout.resolve(relative))) {
                        byPackage.computeIfAbsent(packageOf(relative), k -> new ArrayList<>()).add(relative);
                    }
                }
            }
        } catch (IllegalArgumentException noJavaFiles) {
            return Optional.empty();
        }
        byPackage.values().forEach(files -> files.sort(Comparator.comparing(Path::toString)));
        return byPackage.isEmpty() ? Optional.empty() : Optional.of(new CodeCorpus(checkout, byPackage));
    }

    /** The packages sent: the {@link #STREAMS} with the most files (ties by name). */
    public List<String> streams() {
        return filesByPackage.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<String, List<Path>> e) -> -e.getValue().size())
                        .thenComparing(Map.Entry::getKey))
                .limit(STREAMS).map(Map.Entry::getKey).sorted().toList();
    }

    /**
     * Up to {@code count} documents, one file each, taking the streams in turn; fewer when the streams have fewer
     * files. The id is the file's path in the checkout, the text its content.
     */
    public List<Document> documents(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("documents must be >= 1, got " + count);
        }
        List<String> streams = streams();
        List<Document> docs = new ArrayList<>(count);
        for (int n = 0; docs.size() < count; n++) {
            boolean any = false;
            for (String stream : streams) {
                List<Path> files = filesByPackage.get(stream);
                if (n < files.size() && docs.size() < count) {
                    docs.add(new Document(files.get(n).toString(), read(files.get(n)), stream, null));
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
        return docs;
    }

    private String read(Path relative) {
        try {
            return Files.readString(root.resolve(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sample source file " + root.resolve(relative), e);
        }
    }

    private static boolean hasText(Path file) {
        try {
            return Files.size(file) > 0; // a document is never empty
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + file, e);
        }
    }

    private static boolean isMainSource(Path relative) {
        String path = relative.toString().replace('\\', '/');
        return path.contains("src/main/java/") && !path.contains("/target/");
    }

    /** {@code operators/src/main/java/io/longnet/train/Trainer.java} is in package {@code io.longnet.train}. */
    static String packageOf(Path relative) {
        String path = relative.toString().replace('\\', '/');
        String inTree = path.substring(path.indexOf("src/main/java/") + "src/main/java/".length());
        int slash = inTree.lastIndexOf('/');
        return slash < 0 ? "(default)" : inTree.substring(0, slash).replace('/', '.');
    }

    /** Files per package, for display. */
    public String describe(List<Document> docs) {
        return docs.stream().collect(Collectors.groupingBy(Document::stream, TreeMap::new, Collectors.counting()))
                .entrySet().stream().map(e -> e.getKey() + " " + e.getValue() + " files")
                .collect(Collectors.joining(", "));
    }
}
