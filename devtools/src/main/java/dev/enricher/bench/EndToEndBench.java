package dev.enricher.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.batching.BatchScheduler;
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
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * One end-to-end run: the service, as {@code run} starts it, between a producer and a {@code read_committed}
 * reader, all in this process with the broker.
 *
 * <p>Saturation: {@code events} JSON events are produced before the service starts; the rate is measured between
 * the reader seeing 10% and 100% of the results, so start-up and group join are left out. Latency: events are
 * then produced at a paced rate ({@link BenchOptions#latencyRate()}, else half the saturation rate) and the time
 * from each input record's timestamp to reading its result is recorded; the first 10% are warm-up. CPU time is
 * taken per thread over the saturation window. Model runs are read from the service's own metrics
 * ({@link ModelRunTotals}), so the service's run listeners stay as they are.
 *
 * <p>It never waits for results that cannot come: every send is checked ({@link Sends}) and the run stops at the
 * first failed one; the waits for results are bounded from the expected rate and stop when results stall
 * ({@link ResultWait}). Not thread-safe; one run at a time.
 */
final class EndToEndBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern STREAM_THREAD = Pattern.compile(".*-StreamThread-\\d+$");
    static final String STREAM_THREAD_CPU = "stream threads (Kafka Streams, store, decoding, Avro)";
    static final String INFERENCE_THREAD_CPU = "inference threads (tokenizing, model runs, post-processing)";
    static final String STREAMS_OTHER_CPU = "Kafka Streams' client threads";
    /** Micrometer's binder of Kafka Streams' metrics in the service's metrics: the service's own thread. */
    private static final String SERVICE_METRICS_THREAD = "micrometer-kafka-metrics";
    static final String BENCH_CPU = "bench producer and reader (incl. Avro decoding)";
    static final String BROKER_CPU = "broker and other Java threads";
    static final String NATIVE_CPU = "native threads (tokenizer, ONNX Runtime pools) and ended threads";

    private final String bootstrap;
    private final Consumer<String[]> createTopics;
    private final BenchOptions options;
    private final List<String> texts;
    private final PrintStream log;
    private final Optional<SimulatedDevice> device;
    private final BenchedService.Factory serviceFactory;

    /** First result of a saturation run at the latest: model loading is done, Kafka Streams still starts. */
    static final Duration STARTUP = Duration.ofSeconds(120);
    /** Longest time without a new result once results come. */
    static final Duration STALL = Duration.ofSeconds(60);
    /** How much slower than the in-process engine a saturation run may be before it counts as stuck. */
    static final double SLOWEST = 5;

    /**
     * What the run measured, with the raw numbers of its CPU split.
     *
     * @param meanModelRun sequences per model run of the saturation run, both models
     * @param latencyMeanModelRun sequences per model run of the paced latency run, both models, or NaN when there
     *     was none
     * @param deviceBusyFraction the simulated device's busy time over the saturation window's wall time, or NaN
     *     without a simulated device
     * @param serviceCpuNanosPerEvent CPU of the service's threads per event of the saturation window ({@link
     *     #serviceCpuNanos}); model runs count only when ONNX Runtime runs them, not on a simulated device
     */
    record Outcome(ModeResult result, double engineNanos, double inferNanos, double processNanos,
                   double meanModelRun, double latencyMeanModelRun, double secondsToAllResults,
                   double deviceBusyFraction, double serviceCpuNanosPerEvent) {}

    /**
     * @param device when present, installed on each service's models before it starts; shared by every run
     * @param serviceFactory creates the service as {@code run} does, one per run
     */
    EndToEndBench(String bootstrap, Consumer<String[]> createTopics, BenchOptions options, List<String> texts,
                  PrintStream log, Optional<SimulatedDevice> device, BenchedService.Factory serviceFactory) {
        this.bootstrap = bootstrap;
        this.createTopics = createTopics;
        this.options = options;
        this.texts = texts;
        this.log = log;
        this.device = device;
        this.serviceFactory = serviceFactory;
    }

    /**
     * Runs one service: saturation, then (when {@code latencySeconds} > 0) the paced latency run.
     *
     * @param expectedRate events/s the in-process engine reached with the same batches; bounds the wait
     * @throws IllegalStateException when a send fails, the service or the reader fails, results stall or do not
     *     all come within the bound, or events went to the dead-letter topic
     */
    Outcome run(String mode, String title, int maxRecords, int maxDelayMs, int events, double latencySeconds,
                double expectedRate) throws Exception {
        String prefix = "enricher-" + mode.replace('_', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String in = prefix + "-in";
        String out = prefix + "-out";
        String dlq = prefix + "-dlq";
        createTopics.accept(new String[] {in, out, dlq});
        awaitLeaders(in);
        Path stateDir = Files.createTempDirectory("enricher-bench-state");
        Map<String, Object> props = serviceConfig(prefix, in, out, dlq, stateDir, maxRecords, maxDelayMs);
        InProcessSchemaRegistry registry = new InProcessSchemaRegistry();
        Sends sends = new Sends(mode, in);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(prefix));
        try {
            for (int i = 0; i < events; i++) {
                send(producer, sends, in, "s-" + i, texts.get(i % texts.size()));
            }
            producer.flush();
            sends.check();
            Reader reader = new Reader(registry, out, dlq, events);
            Thread readerThread = new Thread(reader, "bench-reader-" + mode);
            readerThread.setDaemon(true);
            readerThread.start();
            try {
                reader.awaitAssigned();
                log.printf(Locale.ROOT, "%s: %d events produced; starting the service%n", mode, events);
                try (BenchedService service = serviceFactory.create(new EnricherConfig(props), registry)) {
                    device.ifPresent(d -> d.install(service.engine()));
                    return measure(mode, title, events, latencySeconds, expectedRate, service, reader, producer,
                            sends, in, prefix);
                }
            } finally {
                reader.stop = true;
                readerThread.join(10_000);
            }
        } finally {
            producer.close(Duration.ofSeconds(10));
            deleteQuietly(stateDir);
        }
    }

    /** Starts the service on the pre-produced events and measures; the caller closes the service. */
    private Outcome measure(String mode, String title, int events, double latencySeconds, double expectedRate,
                            BenchedService service, Reader reader, KafkaProducer<byte[], byte[]> producer,
                            Sends sends, String in, String appId) throws InterruptedException {
        Runnable check = () -> {
            sends.check();
            reader.check(mode);
            service.failure().ifPresent(e -> {
                throw new IllegalStateException(mode + ": the service failed: " + e, e);
            });
        };
        Supplier<String> state = () -> "service state " + service.state() + ", " + sends.failed() + " sends failed";
        reader.metrics = () -> ModelRunTotals.parse(service.scrapeMetrics());
        long started = System.nanoTime();
        service.start();
        ResultWait.await(mode + ": saturation results", events, reader::saturationCount,
                saturationLimits(events, expectedRate), check, state);
        double toAll = (reader.lastSaturationNanos - started) / 1e9;
        Outcome saturation = saturation(mode, title, reader, appId, toAll);
        log.printf(Locale.ROOT, "%s: %.1f events/s at saturation, %.2f sequences per model run%n", mode,
                saturation.result.eventsPerSecond(), saturation.meanModelRun);
        if (latencySeconds > 0) {
            double saturationRate = saturation.result.eventsPerSecond();
            double rate = options.latencyRate() > 0 ? options.latencyRate() : saturationRate / 2;
            ModelRunTotals before = reader.metrics.get();
            Latencies latencies = latency(producer, sends, in, reader, rate, saturationRate, latencySeconds, mode,
                    check, state);
            ModelRunTotals runs = reader.metrics.get().minus(before);
            double meanRun = runs.meanSequences(reader.latencySequences());
            log.printf(Locale.ROOT, "%s: paced run: %s, %.2f sequences per model run%n", mode, runs, meanRun);
            saturation = new Outcome(saturation.result.withLatencies(latencies), saturation.engineNanos,
                    saturation.inferNanos, saturation.processNanos, saturation.meanModelRun, meanRun,
                    saturation.secondsToAllResults, saturation.deviceBusyFraction,
                    saturation.serviceCpuNanosPerEvent);
        }
        reader.check(mode);
        return saturation;
    }

    /**
     * The wait for {@code events} pre-produced results: start-up, then the events at no less than 1/{@link
     * #SLOWEST} of the rate the in-process engine reached.
     */
    static ResultWait.Limits saturationLimits(int events, double expectedRate) {
        if (!(expectedRate > 0)) {
            throw new IllegalArgumentException("expected rate must be positive, got " + expectedRate);
        }
        long seconds = STARTUP.toSeconds() + (long) Math.ceil(SLOWEST * events / expectedRate);
        return new ResultWait.Limits(Duration.ofSeconds(seconds), STARTUP, STALL);
    }

    /**
     * The wait, after the last paced send, for the {@code count} paced results: the stall time, plus twice what
     * the whole count takes at the saturation rate (the backlog when pacing faster than saturation).
     */
    static ResultWait.Limits latencyLimits(int count, double saturationRate) {
        if (!(saturationRate > 0)) {
            throw new IllegalArgumentException("saturation rate must be positive, got " + saturationRate);
        }
        long seconds = STALL.toSeconds() + (long) Math.ceil(2 * count / saturationRate);
        return new ResultWait.Limits(Duration.ofSeconds(seconds), STALL, STALL);
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
        ModelRunTotals all = r.endRuns;
        double inferNanos = (r.endRuns.seconds() - r.startRuns.seconds()) * 1e9;
        ModeResult result = new ModeResult(mode, title, n, wall, process / 1e9, all.paddingEfficiency(),
                sizes.meanBatch(), sizes, null, cpu);
        // both over the window between the snapshots, whatever window the rate falls back to
        long windowNanos = r.lastSaturationNanos - r.windowStartNanos;
        double busy = device.isEmpty() || windowNanos <= 0 ? Double.NaN
                : (double) (r.endBusyNanos - r.startBusyNanos) / windowNanos;
        return new Outcome(result, engineMs * 1e6, inferNanos, process, all.meanSequences(r.saturationSequences),
                Double.NaN, toAll, busy, serviceCpuNanos(cpu) / (r.expected - r.windowStartIndex));
    }

    /**
     * CPU nanoseconds of the service: its stream threads, inference threads, Kafka Streams' client threads, GC and
     * native threads
     * (tokenizer, ONNX Runtime, RocksDB; threads that ended). Left out: the broker's threads with the process's
     * other Java threads (the bench's main thread, JVM housekeeping), the bench's producer and reader, and the JIT
     * compiler (warm-up, compiling the broker's code too). GC also collects the broker's and the bench's garbage.
     */
    static double serviceCpuNanos(Map<String, Long> cpuByThread) {
        double sum = 0;
        for (Map.Entry<String, Long> e : cpuByThread.entrySet()) {
            if (!e.getKey().equals(BROKER_CPU) && !e.getKey().equals(BENCH_CPU) && !e.getKey().equals(CpuClock.JIT)) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    private Latencies latency(KafkaProducer<byte[], byte[]> producer, Sends sends, String in, Reader reader,
                              double rate, double saturationRate, double seconds, String mode, Runnable check,
                              Supplier<String> state) throws InterruptedException {
        int count = (int) Math.max(10, Math.round(rate * seconds));
        log.printf(Locale.ROOT, "%s: %d events paced at %.1f/s for latency%n", mode, count, rate);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) (i * 1e9 / rate);
            for (long wait; (wait = due - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(wait);
            }
            check.run();
            send(producer, sends, in, "l-" + i, texts.get(i % texts.size()));
        }
        producer.flush();
        ResultWait.await(mode + ": paced results", count, reader::latencyCount, latencyLimits(count, saturationRate),
                check, state);
        return Latencies.of(reader.latencies(count / 10), rate);
    }

    static String category(String thread, String appId) {
        if (thread == null) {
            return BROKER_CPU;
        }
        if (STREAM_THREAD.matcher(thread).matches()) {
            return STREAM_THREAD_CPU;
        }
        if (thread.startsWith(BatchScheduler.THREAD_NAME_PREFIX)) {
            return INFERENCE_THREAD_CPU;
        }
        if (thread.contains(appId) || thread.equals(SERVICE_METRICS_THREAD)) {
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

    /**
     * Waits until the broker leads every partition of a topic just created. The controller accepts a topic
     * before the broker leads its partitions; sends in between meet NOT_LEADER_OR_FOLLOWER, and with 48
     * partitions the idempotent producer's retries then failed with OutOfOrderSequenceException until they
     * expired. Only a partition's leader answers ListOffsets, and the admin client retries it until then.
     */
    private void awaitLeaders(String topic) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.CLIENT_ID_CONFIG, "bench-admin-" + topic))) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS)
                    .get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            admin.listOffsets(latest).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the partitions of " + topic + " got no leader within 60 s: " + e, e);
        }
    }

    /** Idempotent (Kafka's default); a send not acknowledged within 45 s fails (default 120 s). */
    private Properties producerProps(String prefix) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-producer-" + prefix);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 45_000);
        return p;
    }

    /** Sends one event with {@code sends} as its callback; first stops if an earlier send has failed. */
    private static void send(KafkaProducer<byte[], byte[]> producer, Sends sends, String topic, String id,
                             String text) {
        sends.check();
        byte[] value;
        try {
            value = JSON.writeValueAsBytes(Map.of("id", id, "text", text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sends.sent();
        producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(),
                id.getBytes(StandardCharsets.UTF_8), value), sends);
    }

    /**
     * Reads the results. Saturation results ({@code s-} ids) fill fixed arrays; at 10% and at 100% of them it
     * takes CPU snapshots and the service's model-run totals. Latency results ({@code l-} ids) record receive
     * time minus record timestamp. Both count the windows the models ran on (sequences).
     */
    private final class Reader implements Runnable {
        final int expected;
        final int[] batchSizes;
        final double[] inferenceMs;
        final int windowStartIndex;
        final CountDownLatch assigned = new CountDownLatch(1);
        volatile boolean stop;
        volatile Supplier<ModelRunTotals> metrics;
        private volatile Throwable failure;
        private final InProcessSchemaRegistry registry;
        private final String out;
        private final String dlq;
        private int saturation;
        private int deadLetters;
        private long windowStartNanos;
        private long lastSaturationNanos;
        private CpuClock.Snapshot startSnapshot;
        private CpuClock.Snapshot endSnapshot;
        private ModelRunTotals startRuns;
        private ModelRunTotals endRuns;
        private long saturationSequences;
        private long startBusyNanos;
        private long endBusyNanos;
        private long latencySequences;
        private final List<Long> latencies = new ArrayList<>();
        private final List<Integer> latencyIds = new ArrayList<>();

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

        /** Windows of both models over the paced results read so far. */
        synchronized long latencySequences() {
            return latencySequences;
        }

        /** Throws when the reader has stopped on an error or read a dead letter (an event without a result). */
        void check(String mode) {
            Throwable f = failure;
            if (f != null) {
                throw new IllegalStateException(mode + ": the bench reader failed: " + f, f);
            }
            int dead = deadLetters();
            if (dead > 0) {
                throw new IllegalStateException(mode + ": " + dead + " events went to the dead-letter topic");
            }
        }

        synchronized int deadLetters() {
            return deadLetters;
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
                read(consumer, deserializer);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
        }

        private void read(KafkaConsumer<byte[], byte[]> consumer,
                          ConfluentAvro.AvroDeserializer<EnrichedEvent> deserializer) {
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

        private synchronized void accept(EnrichedEvent e, long timestamp, long nowNanos, long nowMillis) {
            String id = e.getId();
            if (id.startsWith("s-") && saturation < expected) {
                int i = saturation++;
                batchSizes[i] = e.getTimings().getBatchSize();
                inferenceMs[i] = e.getTimings().getInferenceMs();
                saturationSequences += sequences(e);
                if (i == windowStartIndex) {
                    windowStartNanos = nowNanos;
                    startSnapshot = CpuClock.Snapshot.take();
                    startBusyNanos = device.map(SimulatedDevice::busyNanos).orElse(0L);
                    startRuns = metrics.get();
                }
                if (saturation == expected) {
                    lastSaturationNanos = nowNanos;
                    endSnapshot = CpuClock.Snapshot.take();
                    endBusyNanos = device.map(SimulatedDevice::busyNanos).orElse(0L);
                    endRuns = metrics.get();
                }
            } else if (id.startsWith("l-")) {
                latencies.add(nowMillis - timestamp);
                latencyIds.add(Integer.parseInt(id.substring(2)));
                latencySequences += sequences(e);
            }
        }
    }

    /** The windows both models ran on for one event: its sequences in model runs. */
    private static long sequences(EnrichedEvent e) {
        return e.getClassifications().stream().mapToInt(c -> c.getWindows()).sum()
                + (e.getNer() == null ? 0 : e.getNer().getWindows());
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temp folder left behind is harmless
        }
    }
}
