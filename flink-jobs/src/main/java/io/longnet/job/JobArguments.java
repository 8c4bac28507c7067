package io.longnet.job;

import io.longnet.kafka.KafkaClientSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The job's command line: {@code --key value} job options (the keys of {@link JobOptions}), plus
 * {@code --config FILE}, a properties file of job options (flags override it), and
 * {@code --properties FILE}, the Kafka client properties (security.protocol, ssl.*, sasl.*, ...).
 *
 * @param jobOptions     job option key -> value, file first, flags over it
 * @param kafkaPropsFile the Kafka client properties file, if given
 */
public record JobArguments(Map<String, String> jobOptions, Optional<Path> kafkaPropsFile) {

    public static final String CONFIG_FLAG = "config";
    public static final String PROPERTIES_FLAG = "properties";

    public JobArguments {
        jobOptions = Map.copyOf(jobOptions);
    }

    /** @throws IllegalArgumentException naming the flag, for an unknown flag or one without a value */
    public static JobArguments parse(List<String> args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (!flag.startsWith("--") || flag.length() == 2) {
                throw new IllegalArgumentException("expected --option value, got '" + flag + "'");
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            flags.put(flag.substring(2), args.get(++i));
        }
        Optional<Path> kafkaProps = Optional.ofNullable(flags.remove(PROPERTIES_FLAG)).map(Path::of);
        Map<String, String> options = new LinkedHashMap<>();
        String configFile = flags.remove(CONFIG_FLAG);
        if (configFile != null) {
            options.putAll(readProperties(Path.of(configFile)));
        }
        options.putAll(flags);
        options.keySet().forEach(JobConfig::requireKnown);
        return new JobArguments(options, kafkaProps);
    }

    public JobConfig jobConfig() {
        return JobConfig.fromMap(jobOptions);
    }

    /** The Kafka client settings: the properties file if given, with the job's bootstrap servers over it. */
    public KafkaClientSettings kafkaClientSettings(JobConfig cfg) {
        KafkaClientSettings.Builder builder = KafkaClientSettings.builder();
        kafkaPropsFile.ifPresent(builder::propertiesFile);
        return builder.bootstrapServers(cfg.bootstrapServers()).build();
    }

    private static Map<String, String> readProperties(Path file) {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read job options file --" + CONFIG_FLAG + " " + file + ": " + e, e);
        }
        Map<String, String> options = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(key -> options.put(key, props.getProperty(key).strip()));
        return options;
    }
}
