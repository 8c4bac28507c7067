package io.longnet.kafka;

import java.util.Properties;

/** A running broker that the caller owns: its address, client properties for it, and a way to stop it. */
public interface KafkaBroker extends AutoCloseable {

    String bootstrapServers();

    /** A fresh {@code Properties} holding just {@code bootstrap.servers}, for Admin/producer/consumer constructors. */
    Properties clientProperties();

    @Override
    void close();
}
