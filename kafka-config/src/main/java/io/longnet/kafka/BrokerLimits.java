package io.longnet.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Reads broker limits that clients must stay within, so a job can check them before it starts. */
public final class BrokerLimits {
    public static final String TRANSACTION_MAX_TIMEOUT = "transaction.max.timeout.ms";

    private static final Logger LOG = LoggerFactory.getLogger(BrokerLimits.class);

    private BrokerLimits() {
    }

    /**
     * The smallest {@value #TRANSACTION_MAX_TIMEOUT} over the cluster's brokers, or empty if it cannot be read
     * within {@code timeout} (broker unreachable, or DescribeConfigs not allowed): the caller then cannot check.
     */
    public static Optional<Duration> transactionMaxTimeout(Properties clientProps, Duration timeout) {
        try (Admin admin = Admin.create(clientProps)) {
            int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            Collection<Node> brokers = admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms))
                    .nodes().get(ms, TimeUnit.MILLISECONDS);
            List<ConfigResource> resources = brokers.stream()
                    .map(node -> new ConfigResource(ConfigResource.Type.BROKER, node.idString())).toList();
            return admin.describeConfigs(resources, new DescribeConfigsOptions().timeoutMs(ms))
                    .all().get(ms, TimeUnit.MILLISECONDS).values().stream()
                    .map(BrokerLimits::maxTimeout)
                    .flatMap(Optional::stream)
                    .min(Duration::compareTo);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("Cannot read {} from the brokers ({}); not checking the transaction timeout against it",
                    TRANSACTION_MAX_TIMEOUT, e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static Optional<Duration> maxTimeout(Config config) {
        ConfigEntry entry = config.get(TRANSACTION_MAX_TIMEOUT);
        if (entry == null || entry.value() == null) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(Long.parseLong(entry.value())));
    }
}
