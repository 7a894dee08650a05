package dev.enricher.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.app.EnricherService;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One end-to-end run: the service, as {@code run} starts it, between a producer and a {@code read_committed}
 * reader, all in this process with the broker.
 *
 * <p>Saturation: {@code events} JSON events are produced before the service starts; the rate is measured between
 * the reader seeing 10% and 100% of the results, so start-up and group join are left out. Latency: events are
 * then produced at a paced rate (half the saturation rate) and the time from each input record's timestamp to
 * reading its result is recorded; the first 10% are warm-up. CPU time is taken per thread over the saturation
 * window. Single-use; not thread-safe.
 */
final class EndToEndBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern STREAM_THREAD = Pattern.compile(".*-StreamThread-\\d+$");
    static final String STREAM_THREAD_CPU = "stream thread (engine, Kafka Streams, store, Avro)";
    static final String STREAMS_OTHER_CPU = "Kafka Streams' client threads";
    static final String BENCH_CPU = "bench producer and reader (incl. Avro decoding)";
    static final String BROKER_CPU = "broker and other Java threads";
    static final String NATIVE_CPU = "native threads (tokenizer, ONNX Runtime pools) and ended threads";

    private final String bootstrap;
    private final Consumer<String[]> createTopics;
    private final BenchOptions options;
    private final List<String> texts;
    private final PrintStream log;

    /** What the run measured, with the raw numbers of its CPU split. */
    record Outcome(ModeResult result, double engineNanos, double inferNanos, double processNanos,
                   BatchSizes modelRuns, double secondsToAllResults) {}

    EndToEndBench(String bootstrap, Consumer<String[]> createTopics, BenchOptions options, List<String> texts,
                  PrintStream log) {
        this.bootstrap = bootstrap;
        this.createTopics = createTopics;
        this.options = options;
        this.texts = texts;
        this.log = log;
    }

    Outcome run(String mode, String title, int maxRecords, int maxDelayMs, int events, double latencySeconds)
            throws Exception {
        String prefix = "enricher-" + mode.replace('_', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String in = prefix + "-in";
        String out = prefix + "-out";
        String dlq = prefix + "-dlq";
        createTopics.accept(new String[] {in, out, dlq});
        Path stateDir = Files.createTempDirectory("enricher-bench-state");
        Map<String, Object> props = serviceConfig(prefix, in, out, dlq, stateDir, maxRecords, maxDelayMs);
        InProcessSchemaRegistry registry = new InProcessSchemaRegistry();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(prefix))) {
            for (int i = 0; i < events; i++) {
                send(producer, in, "s-" + i, texts.get(i % texts.size()));
            }
            producer.flush();
            Reader reader = new Reader(registry, out, dlq, events);
            Thread readerThread = new Thread(reader, "bench-reader-" + mode);
            readerThread.setDaemon(true);
            readerThread.start();
            reader.awaitAssigned();
            log.printf(Locale.ROOT, "%s: %d events produced; starting the service%n", mode, events);
            EnricherService service = EnricherService.create(new EnricherConfig(props), registry);
            RunRecorder runs = new RunRecorder();
            service.engine().classifier().ifPresent(runs::attach);
            service.engine().ner().ifPresent(runs::attach);
            try {
                reader.runs = runs;
                long started = System.nanoTime();
                service.start();
                long timeout = Math.max(120, 20L * events / 10);
                if (!reader.saturationDone.await(timeout, TimeUnit.SECONDS)) {
                    throw new IllegalStateException(mode + ": only " + reader.saturationCount() + " of " + events
                            + " results within " + timeout + " s (service state " + service.state() + ")");
                }
                double toAll = (reader.lastSaturationNanos - started) / 1e9;
                Outcome saturation = saturation(mode, title, reader, prefix, toAll);
                log.printf(Locale.ROOT, "%s: %.1f events/s at saturation%n", mode, saturation.result.eventsPerSecond());
                if (latencySeconds > 0) {
                    double rate = saturation.result.eventsPerSecond() / 2;
                    Latencies latencies = latency(producer, in, reader, rate, latencySeconds, mode);
                    saturation = new Outcome(saturation.result.withLatencies(latencies), saturation.engineNanos,
                            saturation.inferNanos, saturation.processNanos, saturation.modelRuns,
                            saturation.secondsToAllResults);
                }
                if (reader.deadLetters > 0) {
                    throw new IllegalStateException(mode + ": " + reader.deadLetters + " events went to the dead-letter "
                            + "topic");
                }
                return saturation;
            } finally {
                reader.stop = true;
                service.close(Duration.ofSeconds(60));
                readerThread.join(10_000);
                deleteQuietly(stateDir);
            }
        }
    }

    /** Shortest saturation window worth timing. */
    private static final double MIN_WINDOW_SECONDS = 0.05;

    private Outcome saturation(String mode, String title, Reader r, String appId, double toAll) {
        int from = r.windowStartIndex;
        int n = r.expected - from;
        double wall = (r.lastSaturationNanos - r.windowStartNanos) / 1e9;
        if (wall < MIN_WINDOW_SECONDS) {
            // The last 90% of the results came in one or two polls (tiny models, few events): no window to time.
            // Fall back to start-to-last, start-up and group join included.
            log.printf(Locale.ROOT, "%s: results came too fast to time a window (%.3f s); using start to last%n",
                    mode, wall);
            from = 0;
            n = r.expected;
            wall = toAll;
        }
        Map<String, Long> cpu = r.endSnapshot.since(r.startSnapshot, t -> category(t, appId), NATIVE_CPU);
        double process = r.endSnapshot.processNanos() - r.startSnapshot.processNanos();
        double engineMs = 0;
        BatchSizes sizes = new BatchSizes();
        for (int i = 0; i < r.expected; i++) {
            sizes.addEvent(r.batchSizes[i]);
            if (i >= from) {
                engineMs += r.inferenceMs[i] / r.batchSizes[i];
            }
        }
        ModeResult result = new ModeResult(mode, title, n, wall, process / 1e9, r.paddingEfficiency, sizes.meanBatch(),
                sizes, null, cpu);
        return new Outcome(result, engineMs * 1e6, r.inferNanosInWindow, process, r.modelRuns, toAll);
    }

    private Latencies latency(KafkaProducer<byte[], byte[]> producer, String in, Reader reader, double rate,
                              double seconds, String mode) throws InterruptedException {
        int count = (int) Math.max(10, Math.round(rate * seconds));
        reader.expectLatency(count);
        log.printf(Locale.ROOT, "%s: %d events paced at %.1f/s for latency%n", mode, count, rate);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) (i * 1e9 / rate);
            for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(wait);
            }
            send(producer, in, "l-" + i, texts.get(i % texts.size()));
        }
        producer.flush();
        long timeout = Math.max(60, (long) (seconds * 4));
        if (!reader.latencyDone.await(timeout, TimeUnit.SECONDS)) {
            throw new IllegalStateException(mode + ": only " + reader.latencyCount() + " of " + count
                    + " paced results within " + timeout + " s");
        }
        return Latencies.of(reader.latencies(count / 10), rate);
    }

    static String category(String thread, String appId) {
        if (thread == null) {
            return BROKER_CPU;
        }
        if (STREAM_THREAD.matcher(thread).matches()) {
            return STREAM_THREAD_CPU;
        }
        if (thread.contains(appId)) {
            return STREAMS_OTHER_CPU;
        }
        if (thread.startsWith("bench-") || thread.contains("| bench-")) {
            return BENCH_CPU;
        }
        return BROKER_CPU;
    }

    private Map<String, Object> serviceConfig(String appId, String in, String out, String dlq, Path stateDir,
                                              int maxRecords, int maxDelayMs) {
        Map<String, Object> props = new HashMap<>();
        props.put(EnricherConfig.BOOTSTRAP_SERVERS, bootstrap);
        props.put(EnricherConfig.APPLICATION_ID, appId);
        props.put(EnricherConfig.INPUT_TOPICS, in);
        props.put(EnricherConfig.OUTPUT_TOPIC, out);
        props.put(EnricherConfig.DLQ_TOPIC, dlq);
        props.put(EnricherConfig.STATE_DIR, stateDir.toString());
        props.putAll(Benchmark.engineConfig(options, maxRecords));
        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, Integer.toString(maxDelayMs));
        props.putIfAbsent(EnricherConfig.HTTP_PORT, "-1");
        return props;
    }

    private Properties producerProps(String prefix) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-producer-" + prefix);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return p;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String id, String text) {
        byte[] value;
        try {
            value = JSON.writeValueAsBytes(Map.of("id", id, "text", text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(),
                id.getBytes(StandardCharsets.UTF_8), value));
    }

    /**
     * Reads the results. Saturation results ({@code s-} ids) fill fixed arrays; at 10% and at 100% of them it
     * takes CPU snapshots. Latency results ({@code l-} ids) record receive time minus record timestamp.
     */
    private final class Reader implements Runnable {
        final int expected;
        final int[] batchSizes;
        final double[] inferenceMs;
        final int windowStartIndex;
        final CountDownLatch assigned = new CountDownLatch(1);
        final CountDownLatch saturationDone = new CountDownLatch(1);
        volatile CountDownLatch latencyDone = new CountDownLatch(1);
        volatile boolean stop;
        volatile RunRecorder runs;
        private final InProcessSchemaRegistry registry;
        private final String out;
        private final String dlq;
        private int saturation;
        private int deadLetters;
        private long windowStartNanos;
        private long lastSaturationNanos;
        private CpuClock.Snapshot startSnapshot;
        private CpuClock.Snapshot endSnapshot;
        private double paddingEfficiency;
        private double inferNanosInWindow;
        private BatchSizes modelRuns;
        private final List<Long> latencies = new ArrayList<>();
        private final List<Integer> latencyIds = new ArrayList<>();
        private int latencyExpected = Integer.MAX_VALUE;

        Reader(InProcessSchemaRegistry registry, String out, String dlq, int expected) {
            this.registry = registry;
            this.out = out;
            this.dlq = dlq;
            this.expected = expected;
            this.batchSizes = new int[expected];
            this.inferenceMs = new double[expected];
            this.windowStartIndex = Math.min(expected - 1, expected / 10);
        }

        void awaitAssigned() throws InterruptedException {
            if (!assigned.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the bench reader got no partitions within 60 s");
            }
        }

        synchronized int saturationCount() {
            return saturation;
        }

        synchronized int latencyCount() {
            return latencies.size();
        }

        synchronized void expectLatency(int count) {
            latencyExpected = count;
            latencyDone = new CountDownLatch(1);
            if (latencies.size() >= count) {
                latencyDone.countDown();
            }
        }

        /** Latencies of paced events whose index is at least {@code skip}, in milliseconds. */
        synchronized long[] latencies(int skip) {
            List<Long> kept = new ArrayList<>();
            for (int i = 0; i < latencies.size(); i++) {
                if (latencyIds.get(i) >= skip) {
                    kept.add(latencies.get(i));
                }
            }
            return kept.stream().mapToLong(Long::longValue).toArray();
        }

        @Override
        public void run() {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-reader-" + out);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + UUID.randomUUID());
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            var deserializer = new ConfluentAvro.AvroDeserializer<EnrichedEvent>(registry, EnrichedEvent.getClassSchema());
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
                consumer.subscribe(List.of(out, dlq));
                while (!stop) {
                    var records = consumer.poll(Duration.ofMillis(100));
                    if (!consumer.assignment().isEmpty()) {
                        assigned.countDown();
                    }
                    long nowNanos = System.nanoTime();
                    long nowMillis = System.currentTimeMillis();
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        if (r.topic().equals(dlq)) {
                            synchronized (this) {
                                deadLetters++;
                            }
                            continue;
                        }
                        EnrichedEvent e = deserializer.deserialize(out, r.value());
                        accept(e, r.timestamp(), nowNanos, nowMillis);
                    }
                }
            }
        }

        private synchronized void accept(EnrichedEvent e, long timestamp, long nowNanos, long nowMillis) {
            String id = e.getId();
            if (id.startsWith("s-") && saturation < expected) {
                int i = saturation++;
                batchSizes[i] = e.getTimings().getBatchSize();
                inferenceMs[i] = e.getTimings().getInferenceMs();
                if (i == windowStartIndex) {
                    windowStartNanos = nowNanos;
                    startSnapshot = CpuClock.Snapshot.take();
                    inferNanosInWindow = -runs.nanos();
                }
                if (saturation == expected) {
                    lastSaturationNanos = nowNanos;
                    endSnapshot = CpuClock.Snapshot.take();
                    inferNanosInWindow += runs.nanos();
                    paddingEfficiency = runs.paddingEfficiency();
                    modelRuns = runs.sizes();
                    saturationDone.countDown();
                }
            } else if (id.startsWith("l-")) {
                latencies.add(nowMillis - timestamp);
                latencyIds.add(Integer.parseInt(id.substring(2)));
                if (latencies.size() >= latencyExpected) {
                    latencyDone.countDown();
                }
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temp folder left behind is harmless
        }
    }
}
