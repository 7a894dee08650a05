package dev.enricher.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts real in-process brokers; each test owns its broker. */
class EmbeddedKafkaBrokerTest {
    private static final String TOPIC = "embedded-broker-test";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    @Test
    void readCommittedConsumerSeesIdempotentAndCommittedRecordsOnly() throws Exception {
        long startNanos = System.nanoTime();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null);
        System.out.printf("embedded Kafka broker started in %d ms at %s%n",
                (System.nanoTime() - startNanos) / 1_000_000, broker.bootstrapServers());
        Path dataDir = broker.dataDir();
        String bootstrap = broker.bootstrapServers();
        try {
            broker.createTopics(3, TOPIC);
            broker.createTopics(3, TOPIC);
            assertEquals(3, partitionCount(bootstrap, TOPIC));

            Set<String> committed = new HashSet<>();
            try (KafkaProducer<String, String> idempotent = producer(bootstrap, null)) {
                for (int i = 0; i < 40; i++) {
                    idempotent.send(new ProducerRecord<>(TOPIC, "key-" + i, "idempotent-" + i));
                    committed.add("idempotent-" + i);
                }
                idempotent.flush();
            }
            try (KafkaProducer<String, String> transactional = producer(bootstrap, "embedded-broker-test-tx")) {
                transactional.initTransactions();
                transactional.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    transactional.send(new ProducerRecord<>(TOPIC, "key-" + i, "committed-" + i));
                    committed.add("committed-" + i);
                }
                transactional.commitTransaction();
                transactional.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    transactional.send(new ProducerRecord<>(TOPIC, "key-" + i, "aborted-" + i));
                }
                transactional.flush();
                transactional.abortTransaction();
            }

            List<ConsumerRecord<String, String>> read = readCommitted(bootstrap, TOPIC);
            List<String> values = read.stream().map(ConsumerRecord::value).toList();
            assertEquals(70, values.size(), "records read: " + values);
            assertEquals(new TreeSet<>(committed), new TreeSet<>(values));
            assertEquals(3, read.stream().map(ConsumerRecord::partition).distinct().count(),
                    "the keys should spread over all 3 partitions");
        } finally {
            broker.close();
        }

        broker.close();
        assertFalse(Files.exists(dataDir), "the temp folder should be deleted: " + dataDir);
        assertThrows(IllegalStateException.class, () -> broker.createTopics(1, "after-close"));
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        assertThrows(ConnectException.class, () -> new Socket("localhost", port).close());
    }

    @Test
    void restartWithTheSameDataDirKeepsTheRecords(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.start(0, dir)) {
            first.createTopics(1, TOPIC);
            try (KafkaProducer<String, String> producer = producer(first.bootstrapServers(), null)) {
                producer.send(new ProducerRecord<>(TOPIC, "key", "survives")).get();
            }
        }
        assertTrue(Files.exists(dir.resolve("meta.properties")), "a folder passed in is kept");

        try (EmbeddedKafkaBroker second = EmbeddedKafkaBroker.start(0, dir)) {
            second.createTopics(1, TOPIC);
            List<String> values = readCommitted(second.bootstrapServers(), TOPIC).stream()
                    .map(ConsumerRecord::value).toList();
            assertEquals(List.of("survives"), values);
        }
    }

    @Test
    void refusesAFolderThatHoldsSomethingElse(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("notes.txt"), "not a Kafka log");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EmbeddedKafkaBroker.start(0, dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void failsClearlyWhenThePortIsTaken(@TempDir Path dir) throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmbeddedKafkaBroker.start(taken.getLocalPort(), dir));
            assertTrue(e.getMessage().contains("localhost:" + taken.getLocalPort()), e.getMessage());
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, dir)) {
            broker.createTopics(1, TOPIC);
        }
    }

    private static KafkaProducer<String, String> producer(String bootstrap, String transactionalId) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        if (transactionalId != null) {
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /** Reads with a new consumer group until its position reaches the last stable offset of every partition. */
    private static List<ConsumerRecord<String, String>> readCommitted(String bootstrap, String topic) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "embedded-broker-test-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, String>> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (true) {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                Set<TopicPartition> assigned = consumer.assignment();
                if (!assigned.isEmpty()) {
                    Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
                    if (assigned.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp))) {
                        return read;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("did not reach the end of " + topic + " within " + READ_TIMEOUT
                            + "; read so far: " + read.size());
                }
            }
        }
    }

    private static int partitionCount(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        }
    }
}
