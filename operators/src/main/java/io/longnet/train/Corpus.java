package io.longnet.train;

import io.longnet.text.CorpusTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A tree of source files, a directory or a zip (the JDK's src.zip as it is), as streams: one per package (the
 * directory a file sits in), its files concatenated in name order with the tokenizer's separator between them.
 * Packages are named by their directory with '/' as '.', e.g. {@code java.base.java.util.concurrent}.
 */
public final class Corpus implements AutoCloseable {

    /** One package: its name and its files' paths in the tree, sorted. */
    public record Package(String name, List<String> files) {
        /** Whether {@code prefix} (e.g. java.util.concurrent) names this package or one it lies inside. */
        public boolean within(String prefix) {
            return ("." + name + ".").contains("." + prefix + ".");
        }
    }

    private final Path path;
    private final ZipFile zip; // null for a directory
    private final List<Package> packages;

    private Corpus(Path path, ZipFile zip, List<Package> packages) {
        this.path = path;
        this.zip = zip;
        this.packages = packages;
    }

    /** @param extensions file name endings to take, e.g. {@code .java}; empty for every file */
    public static Corpus open(Path path, Set<String> extensions) {
        Map<String, List<String>> byPackage = new TreeMap<>();
        ZipFile zip = null;
        try {
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.walk(path)) {
                    files.filter(Files::isRegularFile).forEach(f -> add(byPackage,
                            path.relativize(f).toString().replace('\\', '/'), extensions));
                }
            } else if (Files.isRegularFile(path)) {
                zip = new ZipFile(path.toFile());
                for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                    ZipEntry entry = e.nextElement();
                    if (!entry.isDirectory()) {
                        add(byPackage, entry.getName(), extensions);
                    }
                }
            } else {
                throw new IllegalArgumentException("--data " + path + " is neither a directory nor a zip file");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--data " + path + " cannot be read as a directory or zip: " + e, e);
        }
        List<Package> packages = new ArrayList<>();
        byPackage.forEach((name, files) -> {
            files.sort(null);
            packages.add(new Package(name, List.copyOf(files)));
        });
        if (packages.isEmpty()) {
            throw new IllegalArgumentException("--data " + path + " has no files ending in " + extensions);
        }
        return new Corpus(path, zip, List.copyOf(packages));
    }

    private static void add(Map<String, List<String>> byPackage, String file, Set<String> extensions) {
        if (!extensions.isEmpty() && extensions.stream().noneMatch(file::endsWith)) {
            return;
        }
        int slash = file.lastIndexOf('/');
        String name = slash < 0 ? "(root)" : file.substring(0, slash).replace('/', '.');
        byPackage.computeIfAbsent(name, k -> new ArrayList<>()).add(file);
    }

    public Path path() {
        return path;
    }

    public List<Package> packages() {
        return packages;
    }

    /** The package's stream: its files' tokens with the separator before every file after the first. */
    public int[] tokens(Package p, CorpusTokenizer tokenizer) {
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        for (String file : p.files()) {
            int[] t = tokenizer.encodeUtf8(read(file));
            parts.add(t);
            total += t.length + (parts.size() > 1 ? 1 : 0);
        }
        int[] out = new int[total];
        int at = 0;
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                out[at++] = tokenizer.separatorId();
            }
            System.arraycopy(parts.get(i), 0, out, at, parts.get(i).length);
            at += parts.get(i).length;
        }
        return out;
    }

    /** One file's bytes. */
    public byte[] read(String file) {
        try {
            if (zip == null) {
                return Files.readAllBytes(path.resolve(file));
            }
            try (InputStream in = zip.getInputStream(zip.getEntry(file))) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " of " + path, e);
        }
    }

    @Override
    public void close() {
        if (zip != null) {
            try {
                zip.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
