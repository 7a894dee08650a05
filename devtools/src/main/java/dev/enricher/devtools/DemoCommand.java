package dev.enricher.devtools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.enricher.app.EnricherService;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.ModelProvenance;
import dev.enricher.broker.EmbeddedKafkaBroker;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the whole service on one machine. An in-process KRaft broker, the service with the bundled
 * models, sample events in, each enriched record printed as one JSON line, then a summary line.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts an in-process Kafka broker and the service, feeds sample events (a few bad ones among "
                + "them), prints each enriched record as a JSON line and a summary, then exits.")
final class DemoCommand implements Callable<Integer> {
    static final String INPUT = "demo-events";
    static final String OUTPUT = "enriched";
    static final String DLQ = "enricher-dlq";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--events", defaultValue = "200", description = "Events to feed (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--models", description = "Folder holding the model bundles (default: models/ of the repository).")
    Path models;

    @Option(names = "--classifier", defaultValue = "build/starter-sentiment",
            description = "Classifier bundle in --models (default: ${DEFAULT-VALUE}, built by the Maven build; "
                    + "tiny-moderation-multilabel is a small random-weight one).")
    String classifier;

    @Option(names = "--ner", defaultValue = "build/starter-ner",
            description = "NER bundle in --models (default: ${DEFAULT-VALUE}, built by the Maven build; tiny-ner is a "
                    + "small random-weight one).")
    String ner;

    @Option(names = "--quiet", description = "Print only the summary line.")
    boolean quiet;

    @Option(names = "--timeout", defaultValue = "180", description = "Seconds to wait for every result (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        Path modelsDir = models != null ? models : defaultModelsDir();
        for (String bundle : List.of(classifier, ner)) {
            if (!Files.isRegularFile(modelsDir.resolve(bundle).resolve("model.onnx"))) {
                System.err.println("demo: no model bundle at " + modelsDir.resolve(bundle) + ". The starter models are "
                        + "built by `mvn package` (or models/tools/build_minilm_bundles.sh); or choose the small "
                        + "random-weight ones: --classifier tiny-moderation-multilabel --ner tiny-ner");
                return 2;
            }
        }
        Path stateDir = Files.createTempDirectory("enricher-demo-state");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null)) {
            broker.createTopics(3, INPUT, OUTPUT, DLQ);
            Map<String, Object> props = new HashMap<>();
            props.put(EnricherConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
            props.put(EnricherConfig.APPLICATION_ID, "enricher-demo-" + UUID.randomUUID());
            props.put(EnricherConfig.INPUT_TOPICS, INPUT);
            props.put(EnricherConfig.OUTPUT_TOPIC, OUTPUT);
            props.put(EnricherConfig.DLQ_TOPIC, DLQ);
            props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, modelsDir.resolve(classifier).toString());
            props.put(EnricherConfig.NER_MODEL_DIR, modelsDir.resolve(ner).toString());
            props.put(EnricherConfig.STATE_DIR, stateDir.toString());
            props.put(EnricherConfig.KAFKA_PREFIX + "commit.interval.ms", "50");
            props.put(EnricherConfig.HTTP_PORT, 0);
            EnricherConfig config = new EnricherConfig(props);
            InProcessSchemaRegistry registry = new InProcessSchemaRegistry();
            try (EnricherService service = EnricherService.create(config, registry)) {
                service.start();
                awaitRunning(service);
                return feedAndPrint(broker.bootstrapServers(), registry);
            }
        } finally {
            deleteQuietly(stateDir);
        }
    }

    private int feedAndPrint(String bootstrap, InProcessSchemaRegistry registry) throws IOException {
        List<DemoEvents.Event> feed = DemoEvents.generate(events, 42);
        long good = feed.stream().filter(e -> e.id() != null).count();
        var deserializer = new ConfluentAvro.AvroDeserializer<EnrichedEvent>(registry, EnrichedEvent.getClassSchema());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(bootstrap));
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap))) {
            consumer.subscribe(List.of(OUTPUT, DLQ));
            consumer.poll(Duration.ofMillis(200));
            long firstSend = System.currentTimeMillis();
            for (DemoEvents.Event e : feed) {
                producer.send(new ProducerRecord<>(INPUT, null, System.currentTimeMillis(),
                        e.id() == null ? null : e.id().getBytes(java.nio.charset.StandardCharsets.UTF_8), e.value()));
            }
            producer.flush();
            long out = 0;
            long dlq = 0;
            long lastReceive = firstSend;
            List<Long> latencies = new ArrayList<>();
            long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
            while (out + dlq < feed.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    long now = System.currentTimeMillis();
                    lastReceive = now;
                    if (r.topic().equals(DLQ)) {
                        dlq++;
                        continue;
                    }
                    out++;
                    latencies.add(now - r.timestamp());
                    if (!quiet) {
                        System.out.println(JSON.writeValueAsString(view(deserializer.deserialize(OUTPUT, r.value()),
                                now - r.timestamp())));
                    }
                }
            }
            Collections.sort(latencies);
            double seconds = Math.max(1, lastReceive - firstSend) / 1000.0;
            System.out.printf(java.util.Locale.ROOT, "summary: in=%d out=%d dlq=%d events_per_s=%.1f p50_ms=%d p99_ms=%d%n",
                    feed.size(), out, dlq, out / seconds, percentile(latencies, 0.50), percentile(latencies, 0.99));
            System.out.flush();
            if (out != good || out + dlq != feed.size()) {
                System.err.println("demo: expected " + good + " enriched and " + (feed.size() - good)
                        + " dead letters within " + timeoutSeconds + " s");
                return 1;
            }
            return 0;
        }
    }

    /**
     * The record as one compact JSON object in the output's field names (provenance shortened to bundle@sha256
     * prefix and device; scores and timings other than the batch's left out), with the end-to-end latency the demo
     * measured.
     */
    static ObjectNode view(EnrichedEvent e, long latencyMs) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", e.getId());
        o.put("text", e.getText());
        o.put("source", e.getSourceTopic() + "/" + e.getSourcePartition() + "@" + e.getSourceOffset());
        o.put("service_version", e.getServiceVersion());
        ArrayNode classifications = o.putArray("classifications");
        for (var c : e.getClassifications()) {
            ObjectNode v = classifications.addObject();
            v.put("task", c.getTask());
            v.put("model", model(c.getModel()));
            v.put("top_label", c.getTopLabel());
            v.put("top_score", c.getTopScore());
            ArrayNode over = v.putArray("labels_over_threshold");
            c.getLabelsOverThreshold().forEach(over::add);
        }
        if (e.getNer() != null) {
            o.putObject("ner").put("model", model(e.getNer().getModel()));
        }
        ArrayNode entities = o.putArray("entities");
        for (var x : e.getEntities()) {
            entities.addObject().put("entity_group", x.getEntityGroup()).put("word", x.getWord())
                    .put("start_offset", x.getStartOffset()).put("end_offset", x.getEndOffset())
                    .put("score", x.getScore());
        }
        o.put("batch_size", e.getTimings().getBatchSize());
        o.put("batch_wait_ms", e.getTimings().getBatchWaitMs());
        o.put("latency_ms", latencyMs);
        return o;
    }

    private static String model(ModelProvenance m) {
        return m.getBundle() + "@" + m.getSha256().substring(0, 12) + " on " + m.getDevice();
    }

    static long percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static void awaitRunning(EnricherService service) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (service.state() != KafkaStreams.State.RUNNING) {
            if (System.currentTimeMillis() > deadline || service.failure().isPresent()) {
                throw new IllegalStateException("the service did not reach RUNNING: " + service.state());
            }
            Thread.sleep(50);
        }
    }

    static Properties consumerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    static Properties producerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return p;
    }

    /** {@code models/} of the working directory, else of the repository holding {@code devtools/target/enricher-dev.jar}. */
    static Path defaultModelsDir() {
        Path here = Path.of("models");
        if (Files.isDirectory(here)) {
            return here.toAbsolutePath();
        }
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path repo = jar.getParent() == null ? null : jar.getParent().getParent();
            if (repo != null && Files.isDirectory(repo.getParent().resolve("models"))) {
                return repo.getParent().resolve("models");
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the error below
        }
        throw new IllegalStateException("no models/ folder here: run the demo from the repository root or pass --models DIR");
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
