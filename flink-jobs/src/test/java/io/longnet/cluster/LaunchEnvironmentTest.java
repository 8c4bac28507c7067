package io.longnet.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.compute.NativeThreadEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.ResourceManagerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every launcher that gives a JVM {@code --add-modules jdk.incubator.vector} also gives it
 * {@link NativeThreadEnvironment#REQUIRED}: the two travel together (README.md). The Java launchers
 * ({@link LocalCluster}, the ITCases' child JVMs) call {@link NativeThreadEnvironment#addMissing}.
 */
class LaunchEnvironmentTest {

    private static final Path ROOT = Path.of("..");

    @TempDir
    Path conf;

    @Test
    void theLongnetScriptExportsEachUnlessTheUserSetIt() throws IOException {
        String script = Files.readString(ROOT.resolve("longnet"));

        NativeThreadEnvironment.REQUIRED.forEach((name, value) -> assertThat(script)
                .contains(": \"${" + name + ":=" + value + "}\"; export " + name));
        assertThat(script.indexOf("export OPENBLAS_THREAD_TIMEOUT")).isLessThan(script.indexOf("exec java"));
    }

    @Test
    void surefireAndFailsafeSetEach() throws IOException {
        for (Path pom : List.of(ROOT.resolve("pom.xml"), ROOT.resolve("tests").resolve("pom.xml"))) {
            String xml = Files.readString(pom);
            assertThat(xml).as("%s", pom).contains("--add-modules jdk.incubator.vector");
            NativeThreadEnvironment.REQUIRED.forEach((name, value) -> assertThat(xml).as("%s", pom)
                    .contains("<" + name + ">" + value + "</" + name + ">"));
        }
    }

    @Test
    void theImagesAndComposeSetEach() throws IOException {
        for (String file : List.of("Dockerfile", "Dockerfile.gpu")) {
            String dockerfile = Files.readString(ROOT.resolve("docker").resolve(file));
            NativeThreadEnvironment.REQUIRED.forEach((name, value) -> assertThat(dockerfile).as(file)
                    .containsPattern("(ENV|\\\\\\n) +" + name + "=" + value + "\\b"));
        }
        String compose = Files.readString(ROOT.resolve("docker").resolve("docker-compose.yml"));
        NativeThreadEnvironment.REQUIRED.forEach((name, value) -> assertThat(compose)
                .containsPattern("\\n  " + name + ": \"?" + value + "\"?\\n"));
        assertThat(compose).contains("x-flink-environment: &flink-environment").doesNotContain("*flink-properties");
    }

    @Test
    void theSharedFlinkConfigurationSetsEachWhereFlinkStartsTheContainers() throws IOException {
        try (InputStream in = LocalCluster.class.getResourceAsStream(LocalCluster.CONFIG_RESOURCE)) {
            Files.copy(in, conf.resolve(GlobalConfiguration.FLINK_CONF_FILENAME));
        }
        Configuration config = GlobalConfiguration.loadConfiguration(conf.toString());

        for (String prefix : List.of(ResourceManagerOptions.CONTAINERIZED_TASK_MANAGER_ENV_PREFIX,
                ResourceManagerOptions.CONTAINERIZED_MASTER_ENV_PREFIX)) {
            Map<String, String> env = ConfigurationUtils.getPrefixedKeyValuePairs(prefix, config);
            assertThat(env).as(prefix).containsExactlyInAnyOrderEntriesOf(NativeThreadEnvironment.REQUIRED);
        }
        assertThat(config.toMap()).containsEntry("env.java.opts.all", "--add-modules=jdk.incubator.vector");
    }
}
