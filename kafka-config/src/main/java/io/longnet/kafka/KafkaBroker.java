package io.longnet.kafka;

import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/** A running broker that the caller owns: its address, client properties for it, and a way to stop it. */
public interface KafkaBroker extends AutoCloseable {

    String bootstrapServers();

    /** A fresh {@code Properties} holding just {@code bootstrap.servers}, for Admin/producer/consumer constructors. */
    default Properties clientProperties() {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    @Override
    void close();
}
