package dev.enricher.app;

import dev.enricher.avro.EnrichedEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.batching.BatchScheduler;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.BatchLimits;
import dev.enricher.metrics.ServiceMetrics;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.ConfluentRegistryClient;
import dev.enricher.serde.Registries;
import dev.enricher.serde.RegistryException;
import dev.enricher.serde.SchemaRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import dev.enricher.topology.EnricherTopology;
import dev.enricher.topology.Stalls;
import dev.enricher.topology.TooLargeHandler;
import java.util.function.UnaryOperator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: the inference engine, its batch scheduler, the topology and Kafka Streams. {@link
 * #close()} stops Kafka Streams first (committing or handing back pending events), then the scheduler (waiting
 * for running batches), then closes the models: no model is closed while a batch runs. Not thread-safe; start
 * and close from one thread.
 */
public final class EnricherService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnricherService.class);
    static final long TOPIC_CHECK_TIMEOUT_MS = 30_000;
    static final long POLL_MS = 5;

    private final EnricherConfig config;
    private final EnrichmentEngine engine;
    private final BatchScheduler scheduler;
    private final KafkaStreams streams;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    /** Set once Kafka Streams first reached RUNNING: from then on a rebalance keeps the service ready. */
    private final AtomicBoolean startedOnce = new AtomicBoolean();
    private final ServiceMetrics metrics;
    private final Stalls stalls;
    private HttpEndpoints http;

    private EnricherService(EnricherConfig config, EnrichmentEngine engine, BatchScheduler scheduler,
                            KafkaStreams streams, ServiceMetrics metrics, Stalls stalls) {
        this.config = config;
        this.engine = engine;
        this.scheduler = scheduler;
        this.streams = streams;
        this.metrics = metrics;
        this.stalls = stalls;
    }

    /** The service with the registry the configuration names (schema.registry.url), or in-process ids. */
    public static EnricherService create(EnricherConfig config) {
        return create(config, Registries.fromConfig(config));
    }

    /**
     * Checks the topics' size limits, loads the models, registers (or verifies) the output schema and builds the
     * topology; nothing is consumed before {@link #start()}.
     *
     * @throws RegistryException when the registry stays unreachable for schema.registry.startup.timeout.ms or
     *     refuses the schema as incompatible
     * @throws ConfigException when a topic the service writes cannot take records of output.max.bytes
     */
    public static EnricherService create(EnricherConfig config, SchemaRegistry registry) {
        return create(config, registry, UnaryOperator.identity());
    }

    /**
     * As {@link #create(EnricherConfig, SchemaRegistry)}, with every call into the models going through {@code
     * inference} (fault injection in tests).
     */
    public static EnricherService create(EnricherConfig config, SchemaRegistry registry,
                                         UnaryOperator<EnrichmentEngine.Inference> inference) {
        LOG.info("configuration: {}", config.effective());
        Properties streamsProperties = streamsProperties(config);
        TopicLimits.check(config, streamsProperties, TOPIC_CHECK_TIMEOUT_MS);
        EnrichmentEngine models = openEngine(config);
        EnrichmentEngine engine = models.withInference(inference);
        ServiceMetrics metrics = new ServiceMetrics();
        BatchScheduler scheduler = null;
        try {
            Stalls stalls = new Stalls();
            metrics.bindEngine(engine);
            metrics.bindStalls(stalls);
            Serializer<EnrichedEvent> serializer = valueSerializer(config, registry);
            scheduler = EnricherTopology.scheduler(config, engine, metrics, stalls);
            metrics.bindScheduler(scheduler);
            Topology topology = EnricherTopology.build(config, engine, scheduler, serializer, metrics,
                    registry instanceof ConfluentRegistryClient client ? client : null, stalls);
            KafkaStreams streams = new KafkaStreams(topology, streamsProperties);
            metrics.bindStreams(streams);
            return new EnricherService(config, engine, scheduler, streams, metrics, stalls);
        } catch (RuntimeException e) {
            if (scheduler != null) {
                scheduler.close();
            }
            metrics.close();
            engine.close();
            throw e;
        }
    }

    /**
     * The built-in Confluent-format serializer, its schema registered (or its registered version found and
     * checked, schema.registry.auto.register=false) now under every output topic's subject; or
     * the Serde/Serializer class named by output.value.serde, configured with every setting.
     */
    @SuppressWarnings("unchecked")
    static Serializer<EnrichedEvent> valueSerializer(EnricherConfig config, SchemaRegistry registry) {
        String className = config.getString(EnricherConfig.OUTPUT_VALUE_SERDE);
        if (className.isBlank()) {
            ConfluentAvro.AvroSerializer<EnrichedEvent> serializer = new ConfluentAvro.AvroSerializer<>(registry,
                    EnrichedEvent.getClassSchema(), Registries.registration(config));
            List<String> topics = new ArrayList<>();
            topics.add(config.getString(EnricherConfig.OUTPUT_TOPIC));
            config.routes().forEach(r -> topics.add(r.topic()));
            boolean register = config.getBoolean(EnricherConfig.SCHEMA_REGISTRY_AUTO_REGISTER);
            for (String topic : topics) {
                LOG.info("output schema EnrichedEvent {} subject {} for topic {}: id {}", register ? "registered under"
                        : "found as registered version " + config.getString(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_VERSION)
                        + " of", serializer.subject(topic), topic, serializer.idFor(topic));
            }
            return serializer;
        }
        Object instance;
        try {
            instance = Class.forName(className).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new ConfigException(EnricherConfig.OUTPUT_VALUE_SERDE, className,
                    "a Serde or Serializer class with a public no-argument constructor on the classpath (" + e + ")");
        }
        Serializer<EnrichedEvent> serializer;
        if (instance instanceof Serde<?> serde) {
            serializer = (Serializer<EnrichedEvent>) serde.serializer();
        } else if (instance instanceof Serializer<?> s) {
            serializer = (Serializer<EnrichedEvent>) s;
        } else {
            throw new ConfigException(EnricherConfig.OUTPUT_VALUE_SERDE, className,
                    "a class implementing org.apache.kafka.common.serialization.Serde or Serializer");
        }
        Map<String, Object> settings = new HashMap<>(config.originals());
        serializer.configure(settings, false);
        LOG.info("output values written by {}", className);
        return serializer;
    }

    /**
     * The engine (every model) exactly as {@link #create} opens it, without Kafka; for the benchmark's in-process
     * modes. The caller owns and closes it.
     */
    public static EnrichmentEngine openEngine(EnricherConfig config) {
        List<EnrichmentEngine.ClassifierSpec> classifiers = config.classifiers().stream()
                .map(c -> new EnrichmentEngine.ClassifierSpec(c.name(), c.modelDir(), c.options(), c.stride(),
                        c.threshold(), c.labelThresholds())).toList();
        Optional<Path> ner = optionalPath(config.getString(EnricherConfig.NER_MODEL_DIR));
        return EnrichmentEngine.open(classifiers, ner, config.nerOptions(), config.getInt(EnricherConfig.NER_STRIDE),
                config.inferenceSettings(),
                new BatchLimits(config.getInt(EnricherConfig.BATCH_MAX_RUN_SEQUENCES), config.getInt(EnricherConfig.BATCH_MAX_TOKENS),
                        config.getDouble(EnricherConfig.BATCH_MIN_PADDING_EFFICIENCY)),
                new EnrichmentEngine.Settings(config.getBoolean(EnricherConfig.OUTPUT_INCLUDE_TEXT), ServiceVersion.get()));
    }

    private static Optional<Path> optionalPath(String value) {
        return value.isBlank() ? Optional.empty() : Optional.of(Path.of(value));
    }

    /**
     * Kafka Streams settings derived from the service configuration, then the {@code kafka.*} overrides. Sources
     * read bytes, so no record fails deserialization inside Kafka Streams: the service's own dead letters cover
     * bad input, and Kafka Streams' dead-letter setting stays off (it would also dead-letter records that failed
     * for transient reasons). The producer's max.request.size is output.max.bytes; a record the broker refuses as
     * too large anyway (a topic limit lowered after start) stops the service through {@link TooLargeHandler}.
     */
    public static Properties streamsProperties(EnricherConfig config) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(EnricherConfig.APPLICATION_ID));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", config.bootstrapServers()));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.getString(EnricherConfig.PROCESSING_GUARANTEE));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(EnricherConfig.NUM_STREAM_THREADS));
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(EnricherConfig.STATE_DIR));
        int maxBytes = config.getInt(EnricherConfig.OUTPUT_MAX_BYTES);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), maxBytes);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), Math.max(32L << 20, 2L * maxBytes));
        if (config.getString(EnricherConfig.PROCESSING_GUARANTEE).equals("at_least_once")) {
            // forwarded events leave the pending store after a commit: a short interval keeps the store small and
            // the repeats after a rebalance or a clean stop few (Kafka Streams' own default is 30 s)
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1_000);
        }
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, TooLargeHandler.class);
        // results come back from the scheduler while a stream thread may be waiting for input: a short poll lets
        // its wall-clock punctuation forward them soon (Kafka Streams' default waits up to 100 ms)
        p.put(StreamsConfig.POLL_MS_CONFIG, POLL_MS);
        // events are enriched one by one, so a task reading several input topics need not wait for all of them to
        // have data (Kafka Streams' idling exists for joins); -1 also skips that check on every record
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        p.putAll(config.kafkaOverrides());
        return p;
    }

    /** Serves metrics and probes (unless http.port is -1), then starts consuming. */
    public void start() {
        int port = config.getInt(EnricherConfig.HTTP_PORT);
        if (port >= 0) {
            String address = config.getString(EnricherConfig.HTTP_BIND_ADDRESS);
            http = HttpEndpoints.start(address, port, metrics::scrape, this::live, this::ready);
            LOG.info("metrics and probes on {} port {}: {} {} {}", address, http.port(), HttpEndpoints.METRICS_PATH,
                    HttpEndpoints.LIVE_PATH, HttpEndpoints.READY_PATH);
        }
        // Transient faults (failing models, an unreachable registry) are retried inside the tasks, which stay
        // assigned; replacing a thread instead would leave its partitions with the dead member for the session
        // timeout. What reaches this handler is a defect or an unrecoverable state: stop with exit code 1.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed; stopping the service", e);
            failure.compareAndSet(null, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setGlobalStateRestoreListener(new RestoreProgress());
        streams.setStateListener((now, before) -> {
            LOG.info("Kafka Streams state {} -> {}", before, now);
            if (now == KafkaStreams.State.RUNNING) {
                startedOnce.set(true);
            }
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
        streams.start();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * The process can work: Kafka Streams has not failed, and no task has waited on failing models for longer
     * than health.stall.timeout.ms (a restart reloads them).
     */
    public boolean live() {
        long stallLimit = config.getInt(EnricherConfig.HEALTH_STALL_TIMEOUT_MS);
        return failure.get() == null && streams.state() != KafkaStreams.State.ERROR
                && (stallLimit == 0 || !stalls.engineStalledLongerThan(Duration.ofMillis(stallLimit)));
    }

    /**
     * Ready for work: the models loaded and Kafka Streams RUNNING for the first time, or REBALANCING since (a
     * rebalance is routine, and an unready pod on every rebalance would count against the PodDisruptionBudget and
     * stall node drains: each eviction rebalances the others); no task waiting out a transient fault (models
     * failing on every input, registry unreachable); no stop under way.
     */
    public boolean ready() {
        return ready(streams.state(), startedOnce.get(), stopping.get(), stalls.any());
    }

    /** {@link #ready()} from its inputs. */
    static boolean ready(KafkaStreams.State state, boolean startedOnce, boolean stopping, boolean stalled) {
        boolean working = state == KafkaStreams.State.RUNNING
                || (state == KafkaStreams.State.REBALANCING && startedOnce);
        return working && !stopping && !stalled;
    }

    /** Tasks waiting out a transient fault, with its cause. */
    public Stalls stalls() {
        return stalls;
    }

    /** The port metrics and probes are served on, or -1 when disabled or not started. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public ServiceMetrics metrics() {
        return metrics;
    }

    public BatchScheduler scheduler() {
        return scheduler;
    }

    public EnrichmentEngine engine() {
        return engine;
    }

    public EnricherConfig config() {
        return config;
    }

    /** Blocks until Kafka Streams stops on its own (a fatal error) or the timeout passes; true if stopped. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The error that stopped the service, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Stops Kafka Streams (within the timeout), then closes the models. Idempotent.
     *
     * @return true when Kafka Streams stopped cleanly (a second call returns true)
     */
    public boolean close(Duration timeout) {
        if (!closed.compareAndSet(false, true)) {
            return true;
        }
        stopping.set(true);
        long start = System.nanoTime();
        boolean clean = streams.close(new KafkaStreams.CloseOptions().timeout(timeout));
        if (clean) {
            scheduler.close();
            engine.close();
            LOG.info("stopped in {} ms: Kafka Streams {}, models closed", (System.nanoTime() - start) / 1_000_000,
                    failure.get() == null ? "committed and closed" : "closed after a failure, nothing committed since");
        } else {
            LOG.warn("Kafka Streams did not stop within {}; models left open so no running batch loses them", timeout);
        }
        if (http != null) {
            http.close();
        }
        metrics.close();
        return clean;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(60));
    }
}
