package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.avro.TextEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.ModelFaults;
import dev.enricher.serde.InProcessSchemaRegistry;
import dev.enricher.topology.DeadLetters;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No record stops a partition: oversized and hostile records, topic limits and faults of the models, each on the
 * real broker, counting what went in, out, to the dead-letter topic, and what is stuck.
 */
class RobustnessIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }

    private static byte[] json(String id, String text) {
        return ("{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        return DeadLetters.header(r.headers(), key);
    }

    private static void report(String test, int in, Map<String, Integer> out, List<ConsumerRecord<byte[], byte[]>> dlq,
                               EnricherService service) {
        System.out.printf("%s: in=%d out=%d dlq=%d stuck=%d state=%s%n", test, in, out.size(), dlq.size(),
                in - out.size() - dlq.size(), service.state());
    }

    @Test
    void aValid900KilobyteEventIsEnrichedAndTheStreamGoesOn() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("big-event");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.INPUT_MAX_CHARS, 1_000_000);
        String text = "spam ".repeat(180_000);
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            send(producer, prefix + "-in", "k", json("big", text));
            send(producer, prefix + "-in", "k", json("after", "the next event"));
            Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= 2);
            List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 0, Duration.ZERO);
            report("900 KB event (text " + text.length() + " chars)", 2, out, dlq, service);
            assertEquals(Map.of("big", 1, "after", 1), out);
            assertEquals(0, dlq.size());
            assertEquals(KafkaStreams.State.RUNNING, service.state());
        }
    }

    @Test
    void aTopicLimitBelowOutputMaxBytesStopsTheStartAndOversizedOutputsBecomeCompactDeadLetters() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("small-topic");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-dlq");
        KafkaTestSupport.createTopic(prefix + "-out", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "20000"));
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        ConfigException refused = assertThrows(ConfigException.class,
                () -> EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry()));
        System.out.println("start refused: " + refused.getMessage());
        assertTrue(refused.getMessage().contains(EnricherConfig.OUTPUT_MAX_BYTES)
                && refused.getMessage().contains(prefix + "-out") && refused.getMessage().contains("20000"));

        props.put(EnricherConfig.OUTPUT_MAX_BYTES, 20_000);
        // 18,500 bytes of text fit in the pending store (records are kept under 19,388 bytes); the enriched event
        // adds scores, entities and hashes
        String text = "word ".repeat(3_700);
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            send(producer, prefix + "-in", "k", json("too-big", text));
            send(producer, prefix + "-in", "k", json("after", "the next event"));
            Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= 1);
            List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 1, WAIT);
            report("output over a 20,000-byte topic", 2, out, dlq, service);
            assertEquals(Map.of("after", 1), out);
            assertEquals(1, dlq.size());
            ConsumerRecord<byte[], byte[]> letter = dlq.get(0);
            System.out.println("  dead letter: " + header(letter, DeadLetters.MESSAGE_HEADER) + " ["
                    + header(letter, DeadLetters.TRUNCATED_HEADER) + "]");
            assertEquals("too_large", header(letter, DeadLetters.REASON_HEADER));
            assertEquals(prefix + "-in", header(letter, DeadLetters.TOPIC_HEADER));
            assertEquals("0", header(letter, DeadLetters.OFFSET_HEADER));
            assertTrue(header(letter, DeadLetters.MESSAGE_HEADER).contains("enriched event of about"));
            assertEquals(null, header(letter, DeadLetters.TRUNCATED_HEADER), "the original input fits: kept whole");
            assertArrayEquals(json("too-big", text), letter.value());
            assertEquals(KafkaStreams.State.RUNNING, service.state());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void aRecordTheBrokerRefusesStopsTheServiceLosingNothingAndTheRestartNamesTheTopic(String guarantee)
            throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("refused-" + guarantee.replace('_', '-'));
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, guarantee);
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
            service.start();
            send(producer, prefix + "-in", "k", json("first", "before the limit changes"));
            KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= 1);
            KafkaTestSupport.alterTopic(prefix + "-out", TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "20000");
            send(producer, prefix + "-in", "k", json("refused", "word ".repeat(6_000)));
            assertTrue(service.awaitStop(WAIT), "the refusal stops the service");
            System.out.println("broker refuses an output (" + guarantee + "): service " + service.state() + ", failure: "
                    + service.failure().map(Throwable::toString).orElse("none"));
            assertTrue(service.failure().isPresent(), "a failure, so run exits 1");
            service.close();
            ConfigException restart = assertThrows(ConfigException.class,
                    () -> EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry()));
            System.out.println("  restart refused: " + restart.getMessage());
            assertTrue(restart.getMessage().contains(prefix + "-out"));

            KafkaTestSupport.alterTopic(prefix + "-out", TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1048588");
            try (EnricherService fixed = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry())) {
                fixed.start();
                Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= 2);
                List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 0, Duration.ZERO);
                report("  after the limit is fixed", 2, out, dlq, fixed);
                assertEquals(java.util.Set.of("first", "refused"), out.keySet(), "nothing lost");
                if (guarantee.equals("exactly_once_v2")) {
                    assertEquals(Map.of("first", 1, "refused", 1), out, "nothing twice");
                }
                assertEquals(0, dlq.size());
            }
        }
    }

    @Test
    void aHostileAvroLengthPrefixCostsLittleInASmallHeap() throws Exception {
        assertTrue(Files.isRegularFile(CrashRecoveryIT.JAR), "build the jar first (mvn package)");
        String prefix = KafkaTestSupport.uniquePrefix("hostile-avro");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.INPUT_FORMAT, "avro");
        Path log = Files.createTempFile(prefix, ".log");
        Process child = CrashRecoveryIT.startChild(KafkaTestSupport.tempConfigFile(props), log, "-Xmx192m");
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            CrashRecoveryIT.awaitLine(log, "-> RUNNING", Duration.ofSeconds(90));
            // TextEvent whose id (union branch 1, a string) claims 2,147,483,639 bytes: 9 bytes in all
            byte[] hostile = {0x02, (byte) 0xEE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 'a', 'b', 'c'};
            send(producer, prefix + "-in", "k", hostile);
            send(producer, prefix + "-in", "k", avroEvent("good", "Angela Merkel visited Paris"));
            Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= 1);
            List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 1, WAIT);
            System.out.printf("hostile Avro record in a 192 MB heap: in=2 out=%d dlq=%d alive=%s; %s%n", out.size(),
                    dlq.size(), child.isAlive(), dlq.isEmpty() ? "" : header(dlq.get(0), DeadLetters.MESSAGE_HEADER));
            assertTrue(child.isAlive(), "still running; log:\n" + Files.readString(log));
            assertEquals(Map.of("good", 1), out);
            assertEquals(1, dlq.size());
            assertEquals("deserialization", header(dlq.get(0), DeadLetters.REASON_HEADER));
            assertTrue(header(dlq.get(0), DeadLetters.MESSAGE_HEADER).contains("2147483639"));
        } finally {
            child.destroy();
            child.waitFor(60, TimeUnit.SECONDS);
        }
        assertFalse(Files.readString(log).contains("OutOfMemoryError"));
    }

    /** A TextEvent in plain Avro binary. */
    private static byte[] avroEvent(String id, String text) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(TextEvent.getClassSchema()).write(TextEvent.newBuilder().setId(id).setText(text)
                .build(), encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    void aFaultOfTheModelsThatPassesLosesNothingAndDeadLettersNothing() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("fault-passes");
        KafkaTestSupport.broker().createTopics(2, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        ModelFaults faults = ModelFaults.failFirst(10);
        int events = 100;
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry(),
                faults);
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (int i = 0; i < events; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
            producer.flush();
            Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= events);
            List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 0, Duration.ZERO);
            String metrics = service.metrics().scrape();
            report("models fail " + faults.failures() + " calls, then recover", events, out, dlq, service);
            assertEquals(events, out.size());
            assertTrue(out.values().stream().allMatch(n -> n == 1), "exactly once");
            assertEquals(0, dlq.size(), "a fault of the models dead-letters nothing");
            assertTrue(OperationsIT.value(metrics, "enricher_transient_faults_total{kind=\"engine\"}") > 0);
            assertTrue(service.ready(), "ready again");
        }
    }

    @Test
    void modelsFailingForeverKeepEverythingPendingAndUnreadyUntilARestartWithWorkingModels() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("fault-forever");
        KafkaTestSupport.broker().createTopics(2, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.HEALTH_STALL_TIMEOUT_MS, 8_000);
        int events = 40;
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry(),
                    ModelFaults.failAlways())) {
                service.start();
                for (int i = 0; i < events; i++) {
                    KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
                }
                producer.flush();
                long deadline = System.currentTimeMillis() + 60_000;
                while (OperationsIT.value(service.metrics().scrape(), "enricher_events_in_total") < events
                        && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                }
                Thread.sleep(3_000);
                String metrics = service.metrics().scrape();
                Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(2), c -> false);
                List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 0, Duration.ZERO);
                report("models fail forever", events, out, dlq, service);
                System.out.println("  stalled: " + service.stalls().causes());
                assertEquals(events, OperationsIT.value(metrics, "enricher_events_in_total"), 0.0, "all consumed");
                assertEquals(0, out.size());
                assertEquals(0, dlq.size(), "nothing dead-lettered for failing models");
                assertFalse(service.ready(), "not ready while the models fail");
                assertTrue(service.live(), "still live within health.stall.timeout.ms");
                assertTrue(OperationsIT.value(metrics, "enricher_stalled_tasks") > 0);
                assertTrue(OperationsIT.value(metrics, "enricher_transient_faults_total{kind=\"engine\"}") > 0);
                long liveDeadline = System.currentTimeMillis() + 30_000;
                while (service.live() && System.currentTimeMillis() < liveDeadline) {
                    Thread.sleep(200);
                }
                assertFalse(service.live(), "not live after health.stall.timeout.ms: a restart reloads the models");
            }
            try (EnricherService healthy = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry())) {
                healthy.start();
                Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= events);
                List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 0, Duration.ZERO);
                report("  restarted with working models", events, out, dlq, healthy);
                assertEquals(events, out.size(), "nothing lost");
                assertTrue(out.values().stream().allMatch(n -> n == 1), "nothing twice");
                assertEquals(0, dlq.size());
            }
        }
    }

    @Test
    void anEventTheModelsFailOnAloneIsDeadLetteredAndTheRestGoOn() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("fault-record");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry(),
                ModelFaults.failOn("poison"));
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (int i = 0; i < 10; i++) {
                send(producer, prefix + "-in", "k", i == 4 ? json("bad", "poison") : KafkaTestSupport.eventJson("id-" + i, i)
                        .getBytes(StandardCharsets.UTF_8));
            }
            Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", WAIT, c -> c.size() >= 9);
            List<ConsumerRecord<byte[], byte[]>> dlq = KafkaTestSupport.readRecords(prefix + "-dlq", 1, WAIT);
            report("one event the models fail on", 10, out, dlq, service);
            assertEquals(9, out.size());
            assertFalse(out.containsKey("bad"));
            assertEquals(1, dlq.size());
            assertEquals("inference", header(dlq.get(0), DeadLetters.REASON_HEADER));
            assertEquals("4", header(dlq.get(0), DeadLetters.OFFSET_HEADER));
            assertTrue(service.ready());
        }
    }
}
