package dev.enricher.it;

import dev.enricher.TestModels;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.broker.EmbeddedKafkaBroker;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.ConfluentAvro;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** One real in-process KRaft broker per test JVM, and the producing and consuming the integration tests share. */
final class KafkaTestSupport {
    private static EmbeddedKafkaBroker broker;

    private KafkaTestSupport() {}

    static synchronized EmbeddedKafkaBroker broker() {
        if (broker == null) {
            broker = EmbeddedKafkaBroker.start(0, null);
            Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        }
        return broker;
    }

    /** A configuration of the tiny bundles reading {@code input} as JSON. */
    static Map<String, Object> serviceConfig(String prefix, String guarantee) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(EnricherConfig.BOOTSTRAP_SERVERS, broker().bootstrapServers());
        props.put(EnricherConfig.APPLICATION_ID, prefix + "-app");
        props.put(EnricherConfig.INPUT_TOPICS, prefix + "-in");
        props.put(EnricherConfig.OUTPUT_TOPIC, prefix + "-out");
        props.put(EnricherConfig.DLQ_TOPIC, prefix + "-dlq");
        props.put(EnricherConfig.PROCESSING_GUARANTEE, guarantee);
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, TestModels.bundle(TestModels.SENTIMENT).toString());
        props.put(EnricherConfig.NER_MODEL_DIR, TestModels.bundle(TestModels.NER).toString());
        props.put(EnricherConfig.STATE_DIR, Files.createTempDirectory("enricher-it-state").toString());
        props.put(EnricherConfig.KAFKA_PREFIX + "commit.interval.ms", "100");
        props.put(EnricherConfig.HTTP_PORT, 0);
        return props;
    }

    static String uniquePrefix(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String eventJson(String id, int i) {
        String[] texts = {"Barack Obama met Angela Merkel in Berlin.", "you are such an idiot lol",
                "2026-11-28T01:02:03Z ERROR [payment-service] Connection refused to db-01.internal:5432",
                "Have a great day everyone!!!", "José Müller moved from São Paulo to Zürich."};
        return "{\"id\":\"" + id + "\",\"text\":\"" + texts[i % texts.length] + " #" + i + "\"}";
    }

    static KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(p);
    }

    static void produce(KafkaProducer<byte[], byte[]> producer, String topic, String id, int i) {
        producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                eventJson(id, i).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Reads {@code topic} (read_committed) from the beginning until {@code done} holds for the counts of ids seen
     * or the timeout passes; returns how often each id was seen.
     */
    static Map<String, Integer> readIds(String topic, Duration timeout, Predicate<Map<String, Integer>> done) {
        Properties p = consumerProps("it-reader");
        var deserializer = new ConfluentAvro.AvroDeserializer<EnrichedEvent>(new SchemaIdAgnosticRegistry(),
                EnrichedEvent.getClassSchema());
        Map<String, Integer> counts = new HashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            while (!done.test(counts) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    counts.merge(deserializer.deserialize(topic, r.value()).getId(), 1, Integer::sum);
                }
            }
            // a last look for late duplicates
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                counts.merge(deserializer.deserialize(topic, r.value()).getId(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Reads records written by any process's in-process registry: every id maps to the current schema. */
    static final class SchemaIdAgnosticRegistry implements dev.enricher.serde.SchemaRegistry {
        @Override
        public int register(String subject, org.apache.avro.Schema schema) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public org.apache.avro.Schema byId(int id) {
            return EnrichedEvent.getClassSchema();
        }

        @Override
        public Registered version(String subject, String version) {
            throw new UnsupportedOperationException("read-only");
        }
    }

    /**
     * Reads {@code topic} (read_committed) from the beginning until {@code atLeast} records arrived or the timeout
     * passed, then half a second more for late ones; returns them all.
     */
    static List<ConsumerRecord<byte[], byte[]>> readRecords(String topic, int atLeast, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps("it-records"))) {
            consumer.subscribe(List.of(topic));
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            consumer.poll(Duration.ofMillis(500)).forEach(out::add);
        }
        return out;
    }

    /** A topic with topic-level settings, e.g. {@code max.message.bytes}. */
    static void createTopic(String name, int partitions, Map<String, String> configs) throws Exception {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)
                    .configs(configs))).all().get();
        }
    }

    /** Sets one topic-level setting of an existing topic. */
    static void alterTopic(String name, String key, String value) throws Exception {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers()))) {
            var resource = new ConfigResource(
                    ConfigResource.Type.TOPIC, name);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry(key, value),
                    AlterConfigOp.OpType.SET)))).all().get();
        }
    }

    /** A read_committed byte-array consumer of a new group, from the beginning. */
    static Properties consumerProps(String groupPrefix) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupPrefix + "-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    static Path tempConfigFile(Map<String, Object> props) throws Exception {
        Path file = Files.createTempFile("enricher-it", ".properties");
        StringBuilder text = new StringBuilder();
        props.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(file, text.toString());
        return file;
    }
}
