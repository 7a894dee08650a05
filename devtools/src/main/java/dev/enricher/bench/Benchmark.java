package dev.enricher.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.enricher.broker.EmbeddedKafkaBroker;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.BatchLimits;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The whole benchmark in one process, on the same model files, threads and texts: model only, engine, end to
 * end with batching, end to end one record per inference call. See {@code docs/benchmarks.md}.
 *
 * <p>Starts (and closes) its own in-process broker after the in-process modes, so they run on a quiet process.
 */
public final class Benchmark {
    /** Auto-sized end-to-end runs stay under this many events. */
    static final int MAX_AUTO_EVENTS = 50_000;

    private Benchmark() {}

    /**
     * Runs every mode and returns the report; progress goes to {@code log}.
     *
     * @param engineFactory opens the engine from a service configuration exactly as the service does
     * @param serviceFactory creates the service as {@code run} does, for the end-to-end modes
     */
    public static BenchReport run(BenchOptions options, Function<EnricherConfig, EnrichmentEngine> engineFactory,
                                  BenchedService.Factory serviceFactory, PrintStream log) throws Exception {
        BenchReport.Machine machine = machine();
        EnricherConfig engineConfig = new EnricherConfig(withTopics(engineConfig(options, options.batchMaxRecords())));
        List<String> texts;
        double meanTokens;
        ModeResult modelOnly;
        ModeResult modelOnlyPerRecord;
        InferenceBench.EngineRun engine;
        ModeResult enginePerRecord;
        String models;
        Optional<SimulatedDevice> device = options.simulatedDevice().map(SimulatedDevice::new);
        try (EnrichmentEngine e = engineFactory.apply(engineConfig)) {
            device.ifPresent(d -> d.install(e));
            texts = BenchTexts.generate(options.texts(), options.seed(), e.ner().orElseThrow().tokenizer(),
                    options.minTokens(), options.maxTokens());
            BatchLimits limits = new BatchLimits(options.batchMaxRecords(),
                    engineConfig.getInt(EnricherConfig.BATCH_MAX_TOKENS),
                    engineConfig.getDouble(EnricherConfig.BATCH_MIN_PADDING_EFFICIENCY));
            InferenceBench bench = new InferenceBench(e, texts, options, limits);
            meanTokens = bench.meanTokens();
            models = e.provenanceByTask().entrySet().stream().map(t -> t.getKey() + "=" + t.getValue().getBundle()
                    + "/" + t.getValue().getFile() + " (sha256 " + t.getValue().getSha256().substring(0, 12) + ", "
                    + t.getValue().getDevice() + ", " + t.getValue().getPrecisionMode() + ")").toList()
                    + ", tokenization " + (bench.sharedTokens() ? "shared" : "per model")
                    + device.map(d -> "; every model run on a " + d + ", not on ONNX Runtime").orElse("");
            log.printf(Locale.ROOT, "texts: %d, mean %.1f tokens; measuring model only%n", texts.size(), meanTokens);
            modelOnly = bench.modelOnly();
            log.printf(Locale.ROOT, "model only: %.1f events/s; measuring model only, batch 1%n",
                    modelOnly.eventsPerSecond());
            modelOnlyPerRecord = bench.modelOnlyPerRecord();
            log.printf(Locale.ROOT, "model only batch 1: %.1f events/s; measuring the engine%n",
                    modelOnlyPerRecord.eventsPerSecond());
            engine = bench.engine();
            log.printf(Locale.ROOT, "engine: %.1f events/s; measuring the engine, 1 event per call%n",
                    engine.result().eventsPerSecond());
            enginePerRecord = bench.enginePerRecord();
            log.printf(Locale.ROOT, "engine batch 1: %.1f events/s%n", enginePerRecord.eventsPerSecond());
        }
        int events = options.events() > 0 ? options.events()
                : autoEvents(engine.result().eventsPerSecond(), options, texts.size());
        int baselineEvents = options.baselineEvents() > 0 ? options.baselineEvents()
                : autoEvents(enginePerRecord.eventsPerSecond(), options, texts.size());
        EndToEndBench.Outcome batched;
        EndToEndBench.Outcome perRecord;
        log.println("starting the in-process broker");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null)) {
            EndToEndBench e2e = new EndToEndBench(broker.bootstrapServers(),
                    topics -> broker.createTopics(options.partitions(), topics), options, texts, log, device,
                    serviceFactory);
            batched = e2e.run("end_to_end", "end to end, batched (" + options.batchMaxRecords() + " records, "
                    + options.batchMaxDelayMs() + " ms)", options.batchMaxRecords(), options.batchMaxDelayMs(), events,
                    options.latencySeconds(), engine.result().eventsPerSecond());
            perRecord = e2e.run("per_record", "end to end, 1 record per inference call (baseline)", 1, 0,
                    baselineEvents, options.latencySeconds(), enginePerRecord.eventsPerSecond());
        }
        String settings = String.format(Locale.ROOT, "processing.guarantee=%s, input partitions=%d, stream threads=%s, "
                        + "batched: batch.max.records=%d batch.max.delay.ms=%d, per-record: batch.max.records=1 "
                        + "batch.max.delay.ms=0, batch.max.tokens=%d, batch.min.padding.efficiency=%s, latency runs "
                        + "paced at %s%s",
                engineConfig.getString(EnricherConfig.PROCESSING_GUARANTEE), options.partitions(),
                engineConfig.getInt(EnricherConfig.NUM_STREAM_THREADS), options.batchMaxRecords(),
                options.batchMaxDelayMs(), engineConfig.getInt(EnricherConfig.BATCH_MAX_TOKENS),
                engineConfig.getDouble(EnricherConfig.BATCH_MIN_PADDING_EFFICIENCY),
                options.latencyRate() > 0 ? String.format(Locale.ROOT, "%s events/s (--latency-rate)",
                        BenchReport.trim(options.latencyRate())) : "half of each mode's saturation rate",
                options.serviceOverrides().isEmpty() ? "" : ", overrides " + options.serviceOverrides());
        machine = new BenchReport.Machine(machine.cpu(), machine.cores(), machine.memory(), machine.os(),
                machine.java(), machine.onnxRuntime(), machine.loadAverage(), CpuClock.loadAverage());
        return new BenchReport(machine, options, models, settings, texts.size(), meanTokens, modelOnly,
                modelOnlyPerRecord, engine, enginePerRecord, batched, perRecord);
    }

    private static int autoEvents(double ratePerSecond, BenchOptions options, int texts) {
        double wanted = Math.min(MAX_AUTO_EVENTS, ratePerSecond * options.endToEndSeconds());
        return (int) Math.max(texts, Math.round(wanted / texts) * texts);
    }

    /** The service keys that make the engine: both models, threads, batch size, then the user's overrides. */
    static Map<String, Object> engineConfig(BenchOptions options, int maxRecords) {
        Map<String, Object> props = new HashMap<>(options.serviceOverrides());
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, options.classifierDir().toString());
        props.put(EnricherConfig.NER_MODEL_DIR, options.nerDir().toString());
        props.put(EnricherConfig.INFERENCE_THREADS, Integer.toString(options.threads()));
        props.put(EnricherConfig.BATCH_MAX_RECORDS, Integer.toString(maxRecords));
        return props;
    }

    private static Map<String, Object> withTopics(Map<String, Object> props) {
        props.putIfAbsent(EnricherConfig.INPUT_TOPICS, "bench");
        return props;
    }

    static BenchReport.Machine machine() {
        String cpu = "unknown";
        String memory = "unknown";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
            memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .map(l -> String.format(Locale.ROOT, "%.1f GiB",
                            Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0)).findFirst().orElse(memory);
        } catch (IOException | RuntimeException e) {
            // not Linux: leave unknown
        }
        String ort;
        try {
            ort = OrtEnvironment.getEnvironment().getVersion();
        } catch (RuntimeException e) {
            ort = "unknown";
        }
        return new BenchReport.Machine(cpu, Runtime.getRuntime().availableProcessors(), memory,
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"), ort,
                CpuClock.loadAverage(), Double.NaN);
    }
}
