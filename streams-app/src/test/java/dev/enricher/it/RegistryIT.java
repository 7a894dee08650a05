package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.enricher.app.EnricherService;
import dev.enricher.app.HttpEndpoints;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.TextEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.ConfluentRegistryClient;
import dev.enricher.serde.RegistryException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The output against a real schema registry (Apicurio, Confluent API), produced by kcat and read by the
 * Confluent Python client: tools we did not write. Also the registry's failure modes.
 */
class RegistryIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static ApicurioRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = ApicurioRegistry.start();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    static Map<String, Object> config(String prefix) throws Exception {
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.SCHEMA_REGISTRY_URL, registry.url());
        return props;
    }

    @Test
    void kcatInPythonConfluentKafkaOutThroughTheRegistry() throws Exception {
        requireTools();
        String prefix = KafkaTestSupport.uniquePrefix("interop");
        KafkaTestSupport.broker().createTopics(2, prefix + "-in", prefix + "-out", prefix + "-dlq");
        int events = 40;
        try (EnricherService service = EnricherService.create(new EnricherConfig(config(prefix)))) {
            service.start();
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < events; i++) {
                lines.append("key-").append(i).append('|').append(KafkaTestSupport.eventJson("kc-" + i, i)).append('\n');
            }
            Process kcat = new ProcessBuilder("kcat", "-P", "-b", KafkaTestSupport.broker().bootstrapServers(), "-t",
                    prefix + "-in", "-K", "|").redirectErrorStream(true).start();
            try (OutputStream in = kcat.getOutputStream()) {
                in.write(lines.toString().getBytes(StandardCharsets.UTF_8));
            }
            assertTrue(kcat.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, kcat.exitValue(), new String(kcat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));

            Path script = Path.of("src/test/resources/interop/consume_enriched.py");
            Process python = new ProcessBuilder("/usr/bin/python3", script.toString(),
                    KafkaTestSupport.broker().bootstrapServers(), registry.url(), prefix + "-out",
                    Integer.toString(events), "90").redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(python.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, python.exitValue());
            Map<String, JsonNode> fromPython = new HashMap<>();
            for (String line : out.lines().toList()) {
                JsonNode n = JSON.readTree(line);
                assertTrue(!n.has("error"), line);
                fromPython.put(n.get("id").asText(), n);
            }
            assertEquals(events, fromPython.size(), "the Python consumer decoded every record");

            ConfluentRegistryClient client = new ConfluentRegistryClient(new ConfluentRegistryClient.Settings(
                    registry.url(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Duration.ofSeconds(5), 0, Duration.ofMillis(100)));
            int expectedId = client.latestId(prefix + "-out-value");
            var deserializer = new ConfluentAvro.AvroDeserializer<EnrichedEvent>(client, EnrichedEvent.getClassSchema());
            List<ConsumerRecord<byte[], byte[]>> raw = readRaw(prefix + "-out", events);
            int compared = 0;
            for (ConsumerRecord<byte[], byte[]> r : raw) {
                byte[] v = r.value();
                assertEquals(0, v[0], "magic byte");
                assertEquals(expectedId, ByteBuffer.wrap(v, 1, 4).getInt(), "schema id of " + prefix + "-out-value");
                EnrichedEvent e = deserializer.deserialize(prefix + "-out", v);
                JsonNode p = fromPython.get(e.getId());
                assertEquals(e.getText(), p.get("text").asText());
                assertEquals(e.getSourceOffset(), p.get("source_offset").asLong());
                assertEquals(1, e.getClassifications().size());
                assertEquals(e.getClassifications().get(0).getTopLabel(), p.get("top_label").asText());
                assertEquals(e.getClassifications().get(0).getTopScore(), p.get("top_score").asDouble(), 1e-6);
                assertEquals(e.getServiceVersion(), p.get("service_version").asText());
                assertEquals(e.getEntities().size(), p.get("entities").size());
                for (int k = 0; k < e.getEntities().size(); k++) {
                    var x = e.getEntities().get(k);
                    JsonNode y = p.get("entities").get(k);
                    assertEquals(x.getEntityGroup(), y.get(0).asText());
                    assertEquals(x.getWord(), y.get(1).asText());
                    assertEquals(x.getStartOffset(), y.get(2).asInt());
                    assertEquals(x.getEndOffset(), y.get(3).asInt());
                }
                assertEquals(e.getClassifications().get(0).getModel().getSha256(),
                        p.get("models").get(0).get(2).asText());
                // and what the service computed is what the model gives for that text
                SequenceClassification.Result direct = service.engine().classifier().orElseThrow().predict(e.getText());
                assertEquals(direct.top().label(), p.get("top_label").asText());
                assertEquals(direct.top().score(), p.get("top_score").asDouble(), 1e-6);
                compared++;
            }
            System.out.println("interop: kcat produced " + events + " JSON events; python3-confluent-kafka decoded "
                    + fromPython.size() + " through the registry; " + compared + " compared field by field; schema id "
                    + expectedId + " for " + prefix + "-out-value, magic byte 0");
        }
    }

    @Test
    void confluentFormatAvroInputIsReadWithTheWriterSchemaFromTheRegistry() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("avro-in");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = config(prefix);
        props.put(EnricherConfig.INPUT_FORMAT, "avro");
        ConfluentRegistryClient client = new ConfluentRegistryClient(new ConfluentRegistryClient.Settings(registry.url(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofSeconds(5), 0,
                Duration.ofMillis(100)));
        var serializer = new ConfluentAvro.AvroSerializer<TextEvent>(client, TextEvent.getClassSchema());
        try (EnricherService service = EnricherService.create(new EnricherConfig(props));
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (int i = 0; i < 5; i++) {
                TextEvent event = TextEvent.newBuilder().setId("avro-" + i).setText("Angela Merkel visited Paris " + i)
                        .setMetadata(Map.of("n", Integer.toString(i))).setEventTime(Instant.ofEpochMilli(1_000L * i)).build();
                producer.send(new ProducerRecord<>(prefix + "-in", serializer.serialize(prefix + "-in", event))).get();
            }
            Map<String, Integer> ids = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(60), c -> c.size() >= 5);
            assertEquals(5, ids.size());
        }
    }

    @Test
    void registryDownAtStartFailsClearlyAfterABoundedRetry() throws Exception {
        Map<String, Object> props = KafkaTestSupport.serviceConfig(KafkaTestSupport.uniquePrefix("no-registry"),
                "at_least_once");
        int closedPort = ApicurioRegistry.freePort();
        props.put(EnricherConfig.SCHEMA_REGISTRY_URL, "http://127.0.0.1:" + closedPort + "/apis/ccompat/v7");
        props.put(EnricherConfig.SCHEMA_REGISTRY_STARTUP_TIMEOUT_MS, 2000);
        props.put(EnricherConfig.SCHEMA_REGISTRY_RETRY_BACKOFF_MS, 500);
        long start = System.nanoTime();
        RegistryException e = assertThrows(RegistryException.Unavailable.class,
                () -> EnricherService.create(new EnricherConfig(props)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println("registry down at start (" + ms + " ms): " + e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + closedPort), e.getMessage());
        assertTrue(e.getMessage().contains("after 5 attempts"), e.getMessage());
        assertTrue(ms >= 2000, "retried for the startup timeout");
    }

    @Test
    void anIncompatibleSchemaStopsTheStartWithTheRegistrysAnswer() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("incompatible");
        String subject = prefix + "-out-value";
        var compatibility = registry.request("PUT", "/config/" + subject, "{\"compatibility\": \"BACKWARD\"}");
        assertEquals(200, compatibility.statusCode(), compatibility.body());
        String legacy = "{\"type\":\"record\",\"name\":\"EnrichedEvent\",\"namespace\":\"dev.enricher.avro\","
                + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"legacy\",\"type\":\"int\"}]}";
        var registered = registry.request("POST", "/subjects/" + subject + "/versions",
                JSON.createObjectNode().put("schema", legacy).toString());
        assertEquals(200, registered.statusCode(), registered.body());
        RegistryException e = assertThrows(RegistryException.Incompatible.class,
                () -> EnricherService.create(new EnricherConfig(config(prefix))));
        System.out.println("incompatible schema: " + e.getMessage());
        assertTrue(e.getMessage().contains(subject) && e.getMessage().contains("HTTP 409"), e.getMessage());
    }

    static ConfluentRegistryClient directClient() {
        return new ConfluentRegistryClient(new ConfluentRegistryClient.Settings(registry.url(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofSeconds(5), 0, Duration.ofMillis(100)));
    }

    /** The version numbers registered under {@code subject}, as the registry lists them. */
    static List<Integer> versions(String subject) throws Exception {
        var answer = registry.request("GET", "/subjects/" + subject + "/versions", null);
        assertEquals(200, answer.statusCode(), answer.body());
        List<Integer> out = new ArrayList<>();
        JSON.readTree(answer.body()).forEach(v -> out.add(v.asInt()));
        return out;
    }

    /** Starts the service, enriches {@code events} events and returns the schema ids of the output records. */
    static List<Integer> idsWritten(String prefix, Map<String, Object> props, int events) throws Exception {
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        try (EnricherService service = EnricherService.create(new EnricherConfig(props));
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (int i = 0; i < events; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
            producer.flush();
            List<Integer> ids = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : readRaw(prefix + "-out", events)) {
                assertEquals(ConfluentAvro.MAGIC_BYTE, r.value()[0]);
                ids.add(ByteBuffer.wrap(r.value(), 1, 4).getInt());
            }
            return ids;
        }
    }

    /**
     * The pre-registered version is a later EnrichedEvent with one more optional field: its content, so its id,
     * differs from what auto-registration would register. The records carry its id and decode with it as writer.
     */
    @Test
    void withoutAutoRegistrationThePreRegisteredSchemasIdIsWrittenAndNothingIsRegistered() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("no-auto");
        String subject = prefix + "-out-value";
        Schema later = withOptionalField(EnrichedEvent.getClassSchema(), "reviewed_by");
        ConfluentRegistryClient client = directClient();
        int registered = client.register(subject, later);
        int serviceOwn = client.register(prefix + "-elsewhere-value", EnrichedEvent.getClassSchema());
        assertTrue(registered != serviceOwn, "the later schema has an id of its own");
        Map<String, Object> props = config(prefix);
        props.put(EnricherConfig.SCHEMA_REGISTRY_AUTO_REGISTER, false);
        int events = 5;
        List<Integer> ids = idsWritten(prefix, props, events);
        System.out.println("auto-register off: " + ids.size() + " records with ids " + ids + ", pre-registered id "
                + registered + " under " + subject + " (the service's own schema has id " + serviceOwn
                + "), versions " + versions(subject));
        assertEquals(java.util.Collections.nCopies(events, registered), ids);
        assertEquals(List.of(1), versions(subject), "the service registered no version");
        var reader = new org.apache.avro.generic.GenericDatumReader<GenericRecord>(later);
        List<String> decoded = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readRaw(prefix + "-out", events)) {
            GenericRecord record = reader.read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(r.value(),
                    ConfluentAvro.HEADER_BYTES, r.value().length - ConfluentAvro.HEADER_BYTES, null));
            assertEquals(null, record.get("reviewed_by"));
            decoded.add(record.get("id").toString());
        }
        assertEquals(events, decoded.size());
        assertEquals(List.of("id-0", "id-1", "id-2", "id-3", "id-4"), decoded.stream().sorted().toList(),
                "every record decodes with the registered schema as its writer schema");
    }

    @Test
    void withoutAutoRegistrationAMissingSubjectStopsTheStartNamingSubjectRegistryAndSetting() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("no-subject");
        Map<String, Object> props = config(prefix);
        props.put(EnricherConfig.SCHEMA_REGISTRY_AUTO_REGISTER, "false");
        RegistryException e = assertThrows(RegistryException.NotFound.class,
                () -> EnricherService.create(new EnricherConfig(props)));
        System.out.println("auto-register off, no subject: " + e.getMessage());
        assertTrue(e.getMessage().contains("subject " + prefix + "-out-value"), e.getMessage());
        assertTrue(e.getMessage().contains("schema.registry.auto.register=false"), e.getMessage());
        assertTrue(e.getMessage().contains(registry.url()), e.getMessage());
        var absent = registry.request("GET", "/subjects/" + prefix + "-out-value/versions", null);
        assertEquals(404, absent.statusCode(), "nothing registered: " + absent.body());
    }

    @Test
    void eachSubjectNameStrategyRegistersAndWritesUnderItsSubject() throws Exception {
        Map<String, String> subjects = new java.util.LinkedHashMap<>();
        for (String strategy : List.of("topic", "record", "topic_record")) {
            String prefix = KafkaTestSupport.uniquePrefix("strategy-" + strategy.replace('_', '-'));
            String subject = switch (strategy) {
                case "topic" -> prefix + "-out-value";
                case "record" -> "dev.enricher.avro.EnrichedEvent";
                default -> prefix + "-out-dev.enricher.avro.EnrichedEvent";
            };
            Map<String, Object> props = config(prefix);
            props.put(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY, strategy);
            List<Integer> ids = idsWritten(prefix, props, 2);
            int expected = directClient().latestId(subject);
            subjects.put(strategy, subject + " id " + expected);
            assertEquals(List.of(expected, expected), ids, strategy + ": records carry the id of " + subject);
            if (!strategy.equals("topic")) {
                var topicSubject = registry.request("GET", "/subjects/" + prefix + "-out-value/versions", null);
                assertEquals(404, topicSubject.statusCode(), strategy + " registers no <topic>-value subject");
            }
        }
        System.out.println("subject name strategies: " + subjects);
    }

    @Test
    void registryDownInTheMiddleOfTheStreamLosesNothing() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("registry-outage");
        KafkaTestSupport.broker().createTopics(2, prefix + "-in", prefix + "-out", prefix + "-dlq");
        int events = 400;
        try (ApicurioRegistry own = ApicurioRegistry.start()) {
            Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
            props.put(EnricherConfig.SCHEMA_REGISTRY_URL, own.url());
            try (EnricherService service = EnricherService.create(new EnricherConfig(props));
                 KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
                service.start();
                for (int i = 0; i < events / 2; i++) {
                    KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
                }
                producer.flush();
                KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(60), c -> c.size() >= events / 2);
                own.close();
                assertTrue(!own.isRunning());
                for (int i = events / 2; i < events; i++) {
                    KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
                }
                producer.flush();
                Map<String, Integer> seen = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(90),
                        c -> c.size() >= events);
                System.out.println("registry stopped mid-stream: " + seen.size() + " of " + events
                        + " events out, state " + service.state());
                assertEquals(events, seen.size());
            }
        }
    }

    /**
     * Avro input whose writer schema id is new while the registry cannot be reached (a proxy refuses connections on
     * the service's registry URL, Apicurio keeps its ids): the tasks keep the events pending and retry, and resume
     * soon after the registry is back. Stream threads used to fail and be replaced instead, and their partitions
     * waited out the dead member's session timeout (about 43 s after the registry's return).
     */
    @Test
    void registryUnreachableForANewWriterSchemaStallsTheTasksAndResumesSoonAfterItReturns() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("avro-outage");
        String input = prefix + "-in";
        KafkaTestSupport.broker().createTopics(2, input, prefix + "-out", prefix + "-dlq");
        int before = 5;
        int events = 40;
        ConfluentRegistryClient direct = new ConfluentRegistryClient(new ConfluentRegistryClient.Settings(
                registry.url(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Duration.ofSeconds(5), 0, Duration.ofMillis(100)));
        var serializer = new ConfluentAvro.AvroSerializer<TextEvent>(direct, TextEvent.getClassSchema());
        try (TcpProxy proxy = TcpProxy.start(URI.create(registry.url()).getPort())) {
            Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
            props.put(EnricherConfig.SCHEMA_REGISTRY_URL, "http://127.0.0.1:" + proxy.port() + "/apis/ccompat/v7");
            props.put(EnricherConfig.INPUT_FORMAT, "avro");
            props.put(EnricherConfig.SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS, 2000);
            try (EnricherService service = EnricherService.create(new EnricherConfig(props));
                 KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
                service.start();
                for (int i = 0; i < before; i++) {
                    TextEvent event = TextEvent.newBuilder().setId("v1-" + i)
                            .setText("Angela Merkel visited Paris " + i).build();
                    producer.send(new ProducerRecord<>(input, event.getId().getBytes(StandardCharsets.UTF_8),
                            serializer.serialize(input, event))).get();
                }
                Map<String, Integer> first = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(60),
                        c -> c.size() >= before);
                assertEquals(before, first.size(), "events of the first writer schema enriched with the registry up");

                // A writer schema the service has never seen: decoding its events needs the registry.
                Schema second = withOptionalField(TextEvent.getClassSchema(), "source");
                int firstId = serializer.idFor(input);
                int secondId = direct.register(input + "-value", second);
                assertTrue(secondId != firstId, "a new id for the second writer schema");

                proxy.down();
                long downAt = System.nanoTime();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < events; i++) {
                    GenericRecord event = new GenericData.Record(second);
                    event.put("id", "v2-" + i);
                    event.put("text", "Barack Obama met Angela Merkel in Berlin #" + i);
                    event.put("source", "outage-test");
                    ids.add("v2-" + i);
                    producer.send(new ProducerRecord<>(input, ids.get(i).getBytes(StandardCharsets.UTF_8),
                            framed(secondId, second, event)));
                }
                producer.flush();

                long stallDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!service.stalls().any() && System.nanoTime() < stallDeadline) {
                    Thread.sleep(50);
                }
                assertTrue(service.stalls().any(), "a task stalled on the unreachable registry within 30 s");
                long stalledMs = (System.nanoTime() - downAt) / 1_000_000;

                int samples = 0;
                int notReady = 0;
                int live = 0;
                int ready503 = 0;
                long windowEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (System.nanoTime() < windowEnd) {
                    samples++;
                    notReady += service.ready() ? 0 : 1;
                    live += service.live() ? 1 : 0;
                    ready503 += OperationsIT.status(service.httpPort(), HttpEndpoints.READY_PATH) == 503 ? 1 : 0;
                    Thread.sleep(250);
                }
                Map<String, Integer> during = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(3),
                        c -> ids.stream().anyMatch(c::containsKey));
                long outDuring = ids.stream().filter(during::containsKey).count();
                long dlqDuring = PendingUpgradeIT.countCommitted(prefix + "-dlq");
                String scrape = service.metrics().scrape();
                double faults = OperationsIT.value(scrape, "enricher_transient_faults_total{kind=\"registry\"}");
                double stalledTasks = OperationsIT.value(scrape, "enricher_stalled_tasks");
                System.out.printf("registry down (proxy closed): a task stalled %d ms after; over %d samples in 8 s: "
                                + "not ready %d, live %d, %s 503 %d; %d of %d second-schema events out, %d dead "
                                + "letters, registry faults %.0f, stalled tasks %.0f, causes %s%n", stalledMs, samples,
                        notReady, live, HttpEndpoints.READY_PATH, ready503, outDuring, events, dlqDuring, faults,
                        stalledTasks, service.stalls().causes());
                assertTrue(samples > 0);
                assertEquals(samples, notReady, "never ready while the registry is unreachable");
                assertEquals(samples, live, "always live while the registry is unreachable");
                assertEquals(samples, ready503, HttpEndpoints.READY_PATH + " answers 503");
                assertEquals(0, outDuring, "second-schema events out while the registry is unreachable");
                assertEquals(0, dlqDuring, "dead letters while the registry is unreachable");
                assertTrue(faults > 0, "enricher_transient_faults_total{kind=\"registry\"} = " + faults);
                assertTrue(stalledTasks > 0, "enricher_stalled_tasks = " + stalledTasks);

                proxy.up();
                long upAt = System.nanoTime();
                long[] lastOutAt = {0};
                Map<String, Integer> seen = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(60), c -> {
                    boolean all = ids.stream().allMatch(c::containsKey);
                    if (all && lastOutAt[0] == 0) {
                        lastOutAt[0] = System.nanoTime();
                    }
                    return all;
                });
                long readyDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!service.ready() && System.nanoTime() < readyDeadline) {
                    Thread.sleep(50);
                }
                long readyMs = (System.nanoTime() - upAt) / 1_000_000;
                long duplicates = seen.values().stream().filter(c -> c > 1).count();
                long dlq = PendingUpgradeIT.countCommitted(prefix + "-dlq");
                String after = service.metrics().scrape();
                long lastOutMs = lastOutAt[0] == 0 ? -1 : (lastOutAt[0] - upAt) / 1_000_000;
                System.out.printf("registry up again (same URL): last of %d second-schema events out %d ms after "
                                + "(old behaviour: about 43000 ms), ready() true at the first look after reading, %d "
                                + "ms after; distinct out %d of %d, duplicates %d, dead letters %d, registry faults "
                                + "%.0f, stalled tasks %.0f%n", events,
                        lastOutMs, readyMs, seen.size(), before + events, duplicates, dlq,
                        OperationsIT.value(after, "enricher_transient_faults_total{kind=\"registry\"}"),
                        OperationsIT.value(after, "enricher_stalled_tasks"));
                assertEquals(before + events, seen.size(), "distinct ids in the output");
                for (String id : seen.keySet()) {
                    assertEquals(1, seen.get(id), id + " in the output exactly once");
                }
                assertTrue(lastOutAt[0] != 0, "every second-schema event out within 60 s of the registry's return");
                assertTrue(lastOutMs < 30_000, "resumed in " + lastOutMs + " ms, well before the 45 s session timeout");
                assertEquals(0, dlq, "dead letters in total");
                assertTrue(service.ready(), "ready again within 30 s of the registry's return");
                assertEquals(0, OperationsIT.value(after, "enricher_stalled_tasks"));
                assertTrue(service.live());
            }
        }
    }

    /** {@code schema} with one more field, an optional string defaulting to null. */
    static Schema withOptionalField(Schema schema, String name) throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree(schema.toString());
        ((ArrayNode) json.get("fields")).addObject().put("name", name).putNull("default")
                .putArray("type").add("null").add("string");
        return new Schema.Parser().parse(json.toString());
    }

    /** A record in the Confluent wire format under schema id {@code id}. */
    static byte[] framed(int id, Schema schema, GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ConfluentAvro.MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    static List<ConsumerRecord<byte[], byte[]>> readRaw(String topic, int count) {
        Properties p = KafkaTestSupport.consumerProps("raw");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.size() < count && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** kcat and the Confluent Python client are installed by .ci/run; elsewhere the test is skipped. */
    static void requireTools() throws Exception {
        boolean kcat = Files.isExecutable(Path.of("/usr/bin/kcat"));
        Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import confluent_kafka, avro").start();
        boolean python = check.waitFor(30, TimeUnit.SECONDS) && check.exitValue() == 0;
        String missing = (kcat ? "" : "kcat ") + (python ? "" : "python3-confluent-kafka python3-avro");
        if (!missing.isEmpty() && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI must install: " + missing + " (.ci/run does)");
        }
        Assumptions.assumeTrue(missing.isEmpty(), "not installed: " + missing + " (apt-get install kcat "
                + "python3-confluent-kafka python3-avro)");
    }
}
