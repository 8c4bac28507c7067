package io.longnet.kafka;

import org.apache.kafka.clients.CommonClientConfigs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Kafka client properties shared by every client of the pipeline: {@code bootstrap.servers} plus
 * whatever the deployment needs ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}, ...),
 * passed through untouched. {@link #toString()} masks secrets so the settings can be logged.
 *
 * <pre>{@code
 * KafkaClientSettings settings = KafkaClientSettings.builder()
 *         .propertiesFile(Path.of("client.properties"))   // optional
 *         .set("bootstrap.servers", "broker:9093")        // overrides the file
 *         .build();
 * Admin admin = Admin.create(settings.toProperties());
 * }</pre>
 *
 * @param properties every setting, keys sorted; never contains a null key or value
 */
public record KafkaClientSettings(SortedMap<String, String> properties) {
    public static final String BOOTSTRAP_SERVERS = CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
    static final String MASK = "[hidden]";

    /** A key containing any of these (case-insensitive) has its value masked in logs. */
    private static final List<String> SECRET_KEY_PARTS =
            List.of("password", "secret", "jaas", "key", "token", "credential");

    public KafkaClientSettings {
        if (properties == null) {
            throw new IllegalArgumentException("client settings must not be null");
        }
        properties.forEach((k, v) -> {
            if (k == null || k.isBlank() || v == null) {
                throw new IllegalArgumentException("client setting '" + k + "' must have a non-blank name and a value");
            }
        });
        String bootstrap = properties.get(BOOTSTRAP_SERVERS);
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("missing required Kafka client setting " + BOOTSTRAP_SERVERS
                    + " (give it in the client properties file or as an override)"
                    + (bootstrap == null ? "" : "; it was '" + bootstrap + "'"));
        }
        properties = Collections.unmodifiableSortedMap(new TreeMap<>(properties));
    }

    public static Builder builder() {
        return new Builder();
    }

    public String bootstrapServers() {
        return properties.get(BOOTSTRAP_SERVERS);
    }

    /** A fresh, mutable copy for a client constructor. */
    public Properties toProperties() {
        Properties props = new Properties();
        props.putAll(properties);
        return props;
    }

    /** All settings, with the values of secret-looking keys replaced by {@value #MASK}. */
    public String redacted() {
        return properties.entrySet().stream()
                .map(e -> e.getKey() + "=" + (isSecret(e.getKey()) ? MASK : e.getValue()))
                .collect(Collectors.joining(", ", "KafkaClientSettings{", "}"));
    }

    @Override
    public String toString() {
        return redacted();
    }

    static boolean isSecret(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        return SECRET_KEY_PARTS.stream().anyMatch(lower::contains);
    }

    /** Collects a properties file and overrides; later calls win over earlier ones, overrides over the file. */
    public static final class Builder {
        private final Map<String, String> fromFile = new TreeMap<>();
        private final Map<String, String> overrides = new TreeMap<>();

        private Builder() {
        }

        /** Loads a Java properties file (ISO-8859-1 with \\u escapes, as {@link Properties#load(InputStream)}). */
        public Builder propertiesFile(Path file) {
            Properties loaded = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                loaded.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read Kafka client properties file " + file + ": " + e, e);
            }
            loaded.stringPropertyNames().forEach(key -> fromFile.put(key, loaded.getProperty(key)));
            return this;
        }

        public Builder set(String key, String value) {
            // Never echo the value: it may be a password.
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("client setting override has no name");
            }
            if (value == null) {
                throw new IllegalArgumentException("client setting override " + key + " has no value");
            }
            overrides.put(key, value);
            return this;
        }

        public Builder setAll(Map<String, String> settings) {
            settings.forEach(this::set);
            return this;
        }

        public Builder bootstrapServers(String servers) {
            return set(BOOTSTRAP_SERVERS, servers);
        }

        /** Sets {@code bootstrap.servers} unless the file or an earlier call already did: a default. */
        public Builder bootstrapServersIfUnset(String servers) {
            if (!fromFile.containsKey(BOOTSTRAP_SERVERS) && !overrides.containsKey(BOOTSTRAP_SERVERS)) {
                bootstrapServers(servers);
            }
            return this;
        }

        /** @throws IllegalArgumentException if {@code bootstrap.servers} is missing or blank */
        public KafkaClientSettings build() {
            TreeMap<String, String> merged = new TreeMap<>(fromFile);
            merged.putAll(overrides);
            return new KafkaClientSettings(merged);
        }
    }
}
