package dev.enricher.app;

import dev.enricher.config.EnricherConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up check that every topic the service writes (output, routes, dead letters, the pending store's
 * changelog) accepts records of {@code output.max.bytes}: the topic's {@code max.message.bytes}, or the broker's
 * {@code message.max.bytes} for a topic not created yet.
 */
final class TopicLimits {
    private static final Logger LOG = LoggerFactory.getLogger(TopicLimits.class);
    static final String BROKER_LIMIT = "message.max.bytes";

    private TopicLimits() {}

    /**
     * @param streamsProperties the Kafka Streams settings, for the admin client's connection and security
     * @throws ConfigException naming output.max.bytes and the topic whose limit is lower
     */
    static void check(EnricherConfig config, Properties streamsProperties, long timeoutMs) {
        int maxBytes = config.getInt(EnricherConfig.OUTPUT_MAX_BYTES);
        Set<String> topics = config.writtenTopics().keySet();
        String changelog = config.pendingChangelogTopic();
        Map<String, Object> adminSettings = new StreamsConfig(streamsProperties).getAdminConfigs("enricher-topic-limits");
        try (Admin admin = Admin.create(adminSettings)) {
            check(admin, topics, changelog, maxBytes, timeoutMs);
        } catch (AuthorizationException e) {
            LOG.warn("cannot check the topics' max.message.bytes against output.max.bytes ({}): grant the service's "
                    + "principal DescribeConfigs on the topics it writes (and the cluster, for topics not created yet); "
                    + "until then a record a topic refuses stops the service", e.getMessage());
        }
    }

    private static void check(Admin admin, Set<String> topics, String changelog, int maxBytes, long timeoutMs) {
        List<String> problems = new ArrayList<>();
        Integer brokerLimit = null;
        for (String topic : topics) {
            Integer limit = topicLimit(admin, topic, timeoutMs);
            String source = "max.message.bytes of topic " + topic;
            if (limit == null) {
                if (topic.equals(changelog)) {
                    continue;
                }
                if (brokerLimit == null) {
                    brokerLimit = brokerLimit(admin, timeoutMs);
                }
                limit = brokerLimit;
                source = "the broker's " + BROKER_LIMIT + " (topic " + topic + " does not exist yet)";
            }
            if (limit < maxBytes) {
                problems.add(source + " is " + limit);
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(EnricherConfig.OUTPUT_MAX_BYTES, maxBytes, "at most the limit of every topic "
                    + "the service writes, but " + String.join("; ", problems) + ". Lower output.max.bytes or "
                    + "raise those topics' max.message.bytes");
        }
        LOG.info("topic limits checked: records up to output.max.bytes={} fit in {}", maxBytes, topics);
    }

    /** The topic's max.message.bytes, or null when it does not exist. */
    private static Integer topicLimit(Admin admin, String topic, long timeoutMs) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config config = await(admin.describeConfigs(List.of(resource)).values().get(resource), timeoutMs, topic);
            return Integer.parseInt(config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value());
        } catch (UnknownTopicOrPartitionException e) {
            return null;
        }
    }

    private static int brokerLimit(Admin admin, long timeoutMs) {
        String node = Integer.toString(await(admin.describeCluster().nodes(), timeoutMs, "the cluster").iterator().next()
                .id());
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node);
        ConfigEntry entry = await(admin.describeConfigs(List.of(broker)).values().get(broker), timeoutMs,
                "broker " + node).get(BROKER_LIMIT);
        return Integer.parseInt(entry.value());
    }

    private static <T> T await(KafkaFuture<T> future, long timeoutMs, String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException unknown) {
                throw unknown;
            }
            if (e.getCause() instanceof AuthorizationException denied) {
                throw denied;
            }
            throw new IllegalStateException("cannot read the configuration of " + what + " from bootstrap.servers: "
                    + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("bootstrap.servers did not answer within " + timeoutMs + " ms when asked "
                    + "for the configuration of " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the configuration of " + what, e);
        }
    }
}
