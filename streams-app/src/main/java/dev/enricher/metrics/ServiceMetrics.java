package dev.enricher.metrics;

import dev.enricher.batching.BatchScheduler;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.Pipeline;
import dev.enricher.topology.DeadLetterReason;
import dev.enricher.topology.ProcessingMetrics;
import dev.enricher.topology.Stalls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The service's metrics in a Prometheus registry: events in and out, dead letters by reason, end-to-end
 * latency, batcher wait, batch size, inference time and padded tokens per model, CPU fallbacks, model info,
 * Kafka Streams' own metrics, and the process's: JVM memory, CPU (process_cpu_usage, process_cpu_time), GC pauses
 * per collector (jvm_gc_pause_seconds{gc=...}, recorded as the JVM reports each collection), threads
 * (jvm_threads_live/daemon/peak/started, jvm_threads_states{state=...}) and uptime, by Micrometer's own binders.
 * Thread-safe; one per process; {@link #close} stops listening to GC notifications.
 */
public final class ServiceMetrics implements ProcessingMetrics, AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter eventsIn;
    private final Counter eventsOut;
    private final Map<DeadLetterReason, Counter> deadLetters = new EnumMap<>(DeadLetterReason.class);
    private final Timer endToEnd;
    private final Timer batchWait;
    private final DistributionSummary batchSize;
    private final Map<String, Counter> transientFaults = new java.util.concurrent.ConcurrentHashMap<>();
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private KafkaStreamsMetrics streamsMetrics;

    public ServiceMetrics() {
        eventsIn = Counter.builder("enricher.events.in").description("Input records consumed").register(registry);
        eventsOut = Counter.builder("enricher.events.out").description("Enriched events written").register(registry);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            deadLetters.put(reason, Counter.builder("enricher.dead.letters").tag("reason", reason.id())
                    .description("Records sent to the dead-letter topic").register(registry));
        }
        endToEnd = Timer.builder("enricher.end.to.end.latency").description("Input record timestamp to enriched output")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        batchWait = Timer.builder("enricher.batch.wait").description("Time an event waited for its batch")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        batchSize = DistributionSummary.builder("enricher.batch.size").description("Events per batch")
                .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(4096.0).register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
    }

    /** Registers each model's metrics, tagged by task name (inference time, tokens, model info) and CPU fallbacks. */
    public void bindEngine(EnrichmentEngine engine) {
        engine.classifiers().forEach(c -> bindModel(c.task(), c.pipeline()));
        engine.ner().ifPresent(p -> bindModel("ner", p));
        Gauge.builder("enricher.cpu.fallbacks", engine, e -> e.provenance().stream()
                        .filter(m -> m.getDevice().startsWith("cpu (fallback")).count())
                .description("Models that asked for a GPU but run on CPU").register(registry);
    }

    private void bindModel(String task, Pipeline<?> pipeline) {
        Timer inference = Timer.builder("enricher.inference").tag("model", task)
                .description("Time of one model run").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        DistributionSummary padded = DistributionSummary.builder("enricher.padded.tokens").tag("model", task)
                .description("Padded tokens (sequences x longest) of one model run").publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue(1_000_000.0).register(registry);
        Counter real = Counter.builder("enricher.real.tokens").tag("model", task)
                .description("Real tokens sent to the model").register(registry);
        pipeline.setRunListener((sequences, realTokens, paddedTokens, nanos) -> {
            inference.record(nanos, TimeUnit.NANOSECONDS);
            padded.record(paddedTokens);
            real.increment(realTokens);
        });
        Gauge.builder("enricher.model.info", () -> 1).tag("task", task).tag("bundle", pipeline.bundle().name())
                .tag("sha256", pipeline.bundle().sha256()).tag("device", pipeline.bundle().device())
                .tag("precision", pipeline.bundle().precision()).tag("file", pipeline.bundle().file())
                .description("The model bundle loaded, the ONNX file that runs (always 1)")
                .register(registry);
    }

    /** Registers the number of tasks waiting out a transient fault. */
    public void bindStalls(Stalls stalls) {
        Gauge.builder("enricher.stalled.tasks", stalls, Stalls::count)
                .description("Tasks whose pending events wait out a transient fault (failing models, unreachable "
                        + "registry); the service is not ready while any does").register(registry);
        for (String kind : new String[] {Stalls.ENGINE, Stalls.REGISTRY}) {
            transientFault(kind, 0);
        }
    }

    public void bindScheduler(BatchScheduler scheduler) {
        Gauge.builder("enricher.scheduler.events", scheduler, BatchScheduler::queued).tag("state", "queued")
                .description("Events in the process-wide batch scheduler, waiting for a batch or running")
                .register(registry);
        Gauge.builder("enricher.scheduler.events", scheduler, BatchScheduler::running).tag("state", "running")
                .description("Events in the process-wide batch scheduler, waiting for a batch or running")
                .register(registry);
        FunctionCounter.builder("enricher.scheduler.discarded", scheduler, BatchScheduler::discarded)
                .description("Results dropped because their task was revoked or closed while its batch ran; the "
                        + "next owner enriches those events again").register(registry);
    }

    /** Bridges Kafka Streams' own metrics (kafka_stream_*). */
    public void bindStreams(KafkaStreams streams) {
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
    }

    /** The Prometheus text exposition of every metric. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void eventIn() {
        eventsIn.increment();
    }

    @Override
    public void eventOut(long endToEndMs, long batchWaitMs) {
        eventsOut.increment();
        endToEnd.record(Math.max(0, endToEndMs), TimeUnit.MILLISECONDS);
        batchWait.record(Math.max(0, batchWaitMs), TimeUnit.MILLISECONDS);
    }

    @Override
    public void deadLetter(DeadLetterReason reason) {
        deadLetters.get(reason).increment();
    }

    @Override
    public void batch(int size) {
        batchSize.record(size);
    }

    @Override
    public void transientFault(String kind) {
        transientFault(kind, 1);
    }

    private void transientFault(String kind, double increment) {
        transientFaults.computeIfAbsent(kind, k -> Counter.builder("enricher.transient.faults").tag("kind", k)
                .description("Batches held back by a transient fault (kept pending, retried with backoff)")
                .register(registry)).increment(increment);
    }

    @Override
    public void close() {
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        gcMetrics.close();
        registry.close();
    }
}
