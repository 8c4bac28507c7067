package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.cluster.ClusterClassPath;
import io.longnet.compute.NativeThreadEnvironment;
import io.longnet.demo.SampleCorpus;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded job jar ({@code flink-jobs/target/*-job.jar}) run as {@code flink run} runs it, in a JVM that has
 * only Flink's jars: whatever the jar leaves out that the job needs, or brings in that clashes with Flink, fails
 * here. Every document comes out once in embeddings and predictions, the bad record as a dead letter.
 */
class JobJarITCase {

    /** Set by the build (tests/pom.xml) to the shaded jar of this version. */
    static final String JOB_JAR_PROPERTY = "longnet.jobJar";

    @TempDir
    static Path dir;

    @Test
    void theShadedJarRunsTheJobOnAClusterWithOnlyFlinksJars() throws Exception {
        Path jar = Path.of(System.getProperty(JOB_JAR_PROPERTY, "missing: run with mvn verify"));
        assertThat(jar).as("the shaded job jar (built by mvn package in flink-jobs)").isRegularFile();
        Path model = TinyModel.write(dir.resolve("model")).dir();
        List<Document> docs = SampleCorpus.documents(10);
        try (Pipeline pipeline = new Pipeline("it-job-jar", model, dir.resolve("cp"), Map.of())) {
            pipeline.write(docs);
            pipeline.writeRaw(List.of(Map.entry("field-notes", "not json".getBytes())));
            Process cluster = startFlinkOnlyCluster(jar, pipeline.jobArguments(), dir.resolve("cluster.log"));
            try {
                pipeline.awaitOutputs(() -> !cluster.isAlive() || pipeline.outputs().embeddings().size() >= docs.size()
                        && pipeline.outputs().predictions().size() >= docs.size()
                        && pipeline.outputs().deadLetters().size() >= 1, "the outputs of the jar's job");
                assertThat(cluster.isAlive()).as("the cluster JVM is running; its output:%n%s",
                        Files.readString(dir.resolve("cluster.log"))).isTrue();
            } finally {
                cluster.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            List<String> ids = docs.stream().map(Document::id).toList();
            assertThat(pipeline.outputs().embeddings()).extracting(EmbeddingOut::id).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(pipeline.outputs().predictions()).extracting(PredictionOut::id)
                    .containsExactlyInAnyOrderElementsOf(ids);
            assertThat(pipeline.outputs().deadLetters()).hasSize(1);
        }
    }

    private static Process startFlinkOnlyCluster(Path jar, List<String> jobArgs, Path log) throws Exception {
        String classPath = String.join(File.pathSeparator, Arrays.stream(
                        System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> ClusterClassPath.isFlinkDistribution(entry) || entry.endsWith("test-classes"))
                .toList());
        assertThat(classPath.split(File.pathSeparator)).as("the cluster's class path")
                .noneMatch(entry -> entry.matches(".*(longnet-|/nd4j|jtokkit|kafka-clients|flink-connector-kafka).*"))
                .anyMatch(entry -> entry.contains("flink-runtime"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "--add-modules", "jdk.incubator.vector", // as env.java.opts.all gives a cluster's JVMs
                "-cp", classPath, FlinkOnlyCluster.class.getName(), jar.toString()));
        command.addAll(jobArgs);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        NativeThreadEnvironment.addMissing(builder.environment()); // as a cluster's TaskManagers get it
        return builder.start();
    }
}
