package io.longnet.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterClassPathTest {

    private static final String M2 = "/home/u/.m2/repository/";

    @Test
    void keepsFlinksJarsAndPutsTheJobJarFirstLeavingOutWhatTheJobJarBrings() {
        List<String> entries = List.of(
                "/repo/flink-jobs/target/longnet-flink-jobs-0.1.0-SNAPSHOT.jar",
                M2 + "org/apache/flink/flink-runtime/2.2.1/flink-runtime-2.2.1.jar",
                M2 + "org/apache/flink/flink-runtime-web/2.2.1/flink-runtime-web-2.2.1.jar",
                M2 + "org/apache/flink/flink-metrics-prometheus/2.2.1/flink-metrics-prometheus-2.2.1.jar",
                M2 + "org/apache/flink/flink-connector-kafka/5.0.0-2.2/flink-connector-kafka-5.0.0-2.2.jar",
                M2 + "com/ververica/frocksdbjni/8.10.0-ververica-1.0/frocksdbjni-8.10.0-ververica-1.0.jar",
                M2 + "org/apache/kafka/kafka-clients/4.2.0/kafka-clients-4.2.0.jar",
                M2 + "org/nd4j/nd4j-native/1.0.0-M2.1/nd4j-native-1.0.0-M2.1.jar",
                M2 + "org/apache/logging/log4j/log4j-core/2.24.3/log4j-core-2.24.3.jar");

        assertThat(ClusterClassPath.of("/repo/job.jar", entries)).containsExactly("/repo/job.jar",
                entries.get(1), entries.get(2), entries.get(3), entries.get(5), entries.get(8));
    }

    @Test
    void aClassPathWithoutTheWebUiIsRejected() {
        assertThatThrownBy(() -> ClusterClassPath.of("/repo/job.jar",
                List.of(M2 + "org/apache/flink/flink-runtime/2.2.1/flink-runtime-2.2.1.jar")))
                .hasMessageContaining("flink-runtime-web");
    }
}
