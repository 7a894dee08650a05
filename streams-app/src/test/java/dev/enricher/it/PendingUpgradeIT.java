package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.app.EnricherService;
import dev.enricher.avro.PendingEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.InProcessSchemaRegistry;
import dev.enricher.serde.ReleaseOneEvents;
import dev.enricher.topology.EnricherTopology;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An upgrade with events pending: the pending store's changelog holds values release 1 wrote (the release-1
 * PendingEvent schema, {@code upgrade/PendingEvent-v1.avsc}) and the input offsets are committed past their
 * records, so the restored store is the only way those events reach the output. The current service restores the
 * changelog and enriches every one of them exactly once (read_committed), with no dead letters.
 */
class PendingUpgradeIT {
    static final int EVENTS = 50;
    /** Input partitions; the changelog has one partition per input partition (one task each). */
    static final int PARTITIONS = 1;
    static final ObjectMapper JSON = new ObjectMapper();
    /** The service's restore listener (app.RestoreProgress) logs each finished store restore. */
    static final String RESTORE_LOGGER = "dev.enricher.app.RestoreProgress";

    @Test
    void theCurrentReleaseEnrichesEveryEventPendingInAReleaseOneChangelog() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("upgrade");
        String input = prefix + "-in";
        String output = prefix + "-out";
        String dlq = prefix + "-dlq";
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        String applicationId = (String) props.get(EnricherConfig.APPLICATION_ID);
        String changelog = applicationId + "-" + EnricherTopology.PENDING_STORE + "-changelog";
        KafkaTestSupport.broker().createTopics(PARTITIONS, input, output, dlq);

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestSupport.broker().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(changelog, PARTITIONS, (short) 1)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))))
                    .all().get(60, TimeUnit.SECONDS);

            List<RecordMetadata> inputRecords = produceInput(input);
            writeReleaseOneChangelog(changelog, input, inputRecords);

            TopicPartition inputPartition = new TopicPartition(input, 0);
            admin.alterConsumerGroupOffsets(applicationId, Map.of(inputPartition, new OffsetAndMetadata(EVENTS)))
                    .all().get(60, TimeUnit.SECONDS);
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata()
                    .get(60, TimeUnit.SECONDS).get(inputPartition);
            assertEquals(EVENTS, committed.offset(), "the input is committed past every event before the upgrade");
        }

        AtomicLong restored = new AtomicLong();
        AppenderBase<ILoggingEvent> restoreCounter = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                Object[] args = event.getArgumentArray();
                if (event.getMessage().startsWith("restored ") && args != null && args.length == 3
                        && EnricherTopology.PENDING_STORE.equals(args[0]) && args[2] instanceof Number n) {
                    restored.addAndGet(n.longValue());
                }
            }
        };
        ch.qos.logback.classic.Logger restoreLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(RESTORE_LOGGER);
        restoreCounter.start();
        restoreLog.addAppender(restoreCounter);
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry())) {
            service.start();
            Map<String, Integer> seen = KafkaTestSupport.readIds(output, Duration.ofSeconds(120),
                    counts -> counts.size() >= EVENTS);
            long deadLetters = countCommitted(dlq);
            long duplicates = seen.values().stream().filter(c -> c > 1).count();
            boolean sameSchema = ReleaseOneEvents.fingerprint(ReleaseOneEvents.V1)
                    .equals(ReleaseOneEvents.fingerprint(PendingEvent.getClassSchema()));
            System.out.printf("pending upgrade (release-1 changelog, writer schema %s, current %s%s): "
                            + "written=%d restored=%d out=%d distinct_out=%d duplicates=%d dlq=%d%n",
                    ReleaseOneEvents.fingerprint(ReleaseOneEvents.V1),
                    ReleaseOneEvents.fingerprint(PendingEvent.getClassSchema()), sameSchema ? ", the same" : "",
                    EVENTS, restored.get(), seen.values().stream().mapToInt(Integer::intValue).sum(), seen.size(),
                    duplicates, deadLetters);

            assertEquals(EVENTS, restored.get(), "every release-1 changelog record restored");
            assertEquals(EVENTS, seen.size(), "distinct ids in the output");
            for (int i = 0; i < EVENTS; i++) {
                assertEquals(1, seen.getOrDefault("id-" + i, 0), "id-" + i + " in the output exactly once");
            }
            assertEquals(0, deadLetters, "dead letters");
        } finally {
            restoreLog.detachAppender(restoreCounter);
            restoreCounter.stop();
        }
    }

    /** The input records release 1 consumed: ids id-0..id-(N-1) as JSON, keyed by id; their metadata in order. */
    static List<RecordMetadata> produceInput(String topic) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            for (int i = 0; i < EVENTS; i++) {
                String id = "id-" + i;
                sent.add(producer.send(new ProducerRecord<>(topic, 0, id.getBytes(StandardCharsets.UTF_8),
                        KafkaTestSupport.eventJson(id, i).getBytes(StandardCharsets.UTF_8))));
            }
        }
        List<RecordMetadata> metadata = new ArrayList<>();
        for (Future<RecordMetadata> f : sent) {
            metadata.add(f.get());
        }
        assertEquals(EVENTS, metadata.size());
        for (int i = 0; i < EVENTS; i++) {
            assertEquals(i, metadata.get(i).offset(), "input offsets 0..N-1");
        }
        return metadata;
    }

    /**
     * The pending store's changelog as release 1 left it with every input event pending: keys are its sequence
     * numbers 0..N-1 (LongSerializer), values release-1 PendingEvents in single-object encoding, built from each
     * input record as release 1's processor built them.
     */
    static void writeReleaseOneChangelog(String changelog, String input, List<RecordMetadata> inputRecords)
            throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.broker().bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, LongSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        long arrival = System.currentTimeMillis();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<Long, byte[]> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < EVENTS; i++) {
                String id = "id-" + i;
                byte[] value = KafkaTestSupport.eventJson(id, i).getBytes(StandardCharsets.UTF_8);
                JsonNode json = JSON.readTree(value);
                RecordMetadata source = inputRecords.get(i);
                byte[] pending = ReleaseOneEvents.encode(ReleaseOneEvents.event(json.get("id").asText(),
                        json.get("text").asText(), input, source.partition(), source.offset(), source.timestamp(),
                        id.getBytes(StandardCharsets.UTF_8), value, List.of(), arrival));
                sent.add(producer.send(new ProducerRecord<>(changelog, source.partition(), (long) i, pending)));
            }
        }
        for (Future<RecordMetadata> f : sent) {
            f.get();
        }
    }

    /** How many records of {@code topic} a read_committed consumer sees up to its last stable offset. */
    static long countCommitted(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KafkaTestSupport.consumerProps("it-count"))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long count = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                assertTrue(System.nanoTime() < deadline, topic + " not read to its end offsets " + end + " in 60 s");
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }
}
