package io.longnet.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The system class path of a cluster process, as in docker/: what a Flink distribution puts in {@code lib/}
 * (Flink, its RocksDB, logging and the libraries flink-dist carries, plus the web UI and the Prometheus reporter
 * of {@code opt/} and {@code plugins/}) and the shaded job jar. Everything else the job needs is in that jar.
 */
public final class ClusterClassPath {

    /** A Flink distribution's jars, by Maven group directory; the Kafka connector is the job jar's, not Flink's. */
    public static final Pattern FLINK_DISTRIBUTION = Pattern.compile(".*/(org/apache/flink/(?!flink-connector-kafka)"
            + "|com/ververica/|org/apache/logging/|org/slf4j/|com/esotericsoftware/|org/objenesis/|org/javassist/"
            + "|org/apache/commons/|commons-[a-z]+/|tools/profiler/|org/snakeyaml/|com/google/code/findbugs/"
            + "|org/lz4/|org/xerial/snappy/).*");

    private ClusterClassPath() {
    }

    /**
     * @param jobJar  the shaded job jar (first on the class path)
     * @param entries a class path that holds Flink's jars (this JVM's, say); only those are kept
     */
    public static List<String> of(String jobJar, List<String> entries) {
        List<String> classPath = new ArrayList<>();
        classPath.add(jobJar);
        entries.stream().filter(ClusterClassPath::isFlinkDistribution).forEach(classPath::add);
        if (classPath.stream().noneMatch(e -> e.contains("flink-runtime-web"))) {
            throw new IllegalArgumentException("the class path has no flink-runtime-web jar (the web UI): "
                    + "build with mvn install in flink-jobs");
        }
        return classPath;
    }

    public static boolean isFlinkDistribution(String entry) {
        return FLINK_DISTRIBUTION.matcher(entry.replace('\\', '/')).matches();
    }
}
