package io.longnet.kafka;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaClientSettingsTest {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"longnet\" password=\"s3cr3t-jaas\";";

    @TempDir
    Path dir;

    private Path clientFile() throws IOException {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, String.join("\n",
                "bootstrap.servers=file-broker:9092",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=PLAIN",
                "sasl.jaas.config=" + JAAS,
                "ssl.truststore.location=/etc/kafka/truststore.jks",
                "ssl.truststore.password=trust-pw",
                "ssl.key.password=key-pw",
                ""));
        return file;
    }

    @Test
    void overridesWinOverTheFileAndEverythingElsePassesThrough() throws IOException {
        KafkaClientSettings settings = KafkaClientSettings.builder()
                .propertiesFile(clientFile())
                .bootstrapServers("flag-broker:9093")
                .set("client.id", "longnet-job")
                .build();
        Properties expected = new Properties();
        expected.putAll(Map.of(
                "bootstrap.servers", "flag-broker:9093",
                "client.id", "longnet-job",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", JAAS,
                "ssl.truststore.location", "/etc/kafka/truststore.jks",
                "ssl.truststore.password", "trust-pw",
                "ssl.key.password", "key-pw"));
        assertThat(settings.toProperties()).isEqualTo(expected);
        assertThat(settings.bootstrapServers()).isEqualTo("flag-broker:9093");
    }

    @Test
    void theFileAloneIsEnough() throws IOException {
        assertThat(KafkaClientSettings.builder().propertiesFile(clientFile()).build().bootstrapServers())
                .isEqualTo("file-broker:9092");
    }

    @Test
    void aDefaultBootstrapAppliesOnlyWhereNeitherTheFileNorAFlagNamesOne() throws IOException {
        assertThat(KafkaClientSettings.builder().propertiesFile(clientFile()).bootstrapServersIfUnset("default:9092")
                .build().bootstrapServers()).isEqualTo("file-broker:9092");
        assertThat(KafkaClientSettings.builder().bootstrapServers("flag:1").bootstrapServersIfUnset("default:9092")
                .build().bootstrapServers()).isEqualTo("flag:1");
        assertThat(KafkaClientSettings.builder().bootstrapServersIfUnset("default:9092")
                .build().bootstrapServers()).isEqualTo("default:9092");
    }

    @Test
    void toStringMasksSecretsAndKeepsTheRest() throws IOException {
        KafkaClientSettings settings = KafkaClientSettings.builder().propertiesFile(clientFile())
                .set("sasl.oauthbearer.client.credentials.client.secret", "oauth-secret").build();
        assertThat(settings.toString()).isEqualTo(settings.redacted()).isEqualTo("KafkaClientSettings{"
                + "bootstrap.servers=file-broker:9092, "
                + "sasl.jaas.config=[hidden], "
                + "sasl.mechanism=PLAIN, "
                + "sasl.oauthbearer.client.credentials.client.secret=[hidden], "
                + "security.protocol=SASL_SSL, "
                + "ssl.key.password=[hidden], "
                + "ssl.truststore.location=/etc/kafka/truststore.jks, "
                + "ssl.truststore.password=[hidden]}");
        assertThat(settings.toString()).doesNotContain("s3cr3t", "trust-pw", "key-pw", "oauth-secret");
    }

    @Test
    void missingBootstrapServersIsNamed() {
        assertThatThrownBy(() -> KafkaClientSettings.builder().set("security.protocol", "SSL").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("missing required Kafka client setting bootstrap.servers"
                        + " (give it in the client properties file or as an override)");
        assertThatThrownBy(() -> KafkaClientSettings.builder().bootstrapServers("  ").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("; it was '  '");
    }

    @Test
    void unreadableFileIsNamed() {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> KafkaClientSettings.builder().propertiesFile(missing))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith("cannot read Kafka client properties file " + missing);
    }

    @Test
    void toPropertiesIsACopy() {
        KafkaClientSettings settings = KafkaClientSettings.builder().bootstrapServers("b:1").build();
        settings.toProperties().put("bootstrap.servers", "changed:2");
        assertThat(settings.toProperties().getProperty("bootstrap.servers")).isEqualTo("b:1");
    }

    @Test
    void overrideWithoutNameOrValueIsRefused() {
        assertThatThrownBy(() -> KafkaClientSettings.builder().set("client.id", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("client setting override client.id has no value");
        assertThatThrownBy(() -> KafkaClientSettings.builder().set(" ", "pw"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("client setting override has no name");
    }
}
