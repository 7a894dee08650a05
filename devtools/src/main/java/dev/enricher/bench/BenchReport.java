package dev.enricher.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The results of one benchmark run: a table for people, then {@code key=value} lines for machines. Immutable.
 */
public record BenchReport(Machine machine, BenchOptions options, String models, String settings, int texts,
                          double meanTokens, ModeResult modelOnly, ModeResult modelOnlyPerRecord,
                          InferenceBench.EngineRun engine, ModeResult enginePerRecord, EndToEndBench.Outcome batched,
                          EndToEndBench.Outcome perRecord) {

    public static final double GOAL_END_TO_END_VS_MODEL_ONLY = 0.9;
    public static final double GOAL_BATCHED_VS_PER_RECORD = 5;
    public static final double GOAL_PADDING_EFFICIENCY = 0.9;

    /** What the run ran on. */
    public record Machine(String cpu, int cores, String memory, String os, String java, String onnxRuntime,
                          double loadAverage, double loadAverageEnd) {}

    /** End-to-end batched events/s over model-only events/s (both models each). */
    public double ratioEndToEndVsModelOnly() {
        return batched.result().eventsPerSecond() / modelOnly.eventsPerSecond();
    }

    /** End-to-end batched events/s over end-to-end one-record-per-call events/s. */
    public double ratioBatchedVsPerRecord() {
        return batched.result().eventsPerSecond() / perRecord.result().eventsPerSecond();
    }

    /** Real tokens / padded tokens of both models in the end-to-end batched run. */
    public double paddingEfficiency() {
        return batched.result().paddingEfficiency();
    }

    /**
     * Where the end-to-end batched run's process CPU went. The engine's time comes from the results' own
     * timings (wall time of tokenize + infer + post-process per batch) and the model runs from the service's
     * metrics; the engine's non-model time is split between tokenization and post-processing as in the engine mode; Kafka
     * + Avro is the rest of the process CPU time.
     */
    public CpuSplit endToEndSplit() {
        return splitOf(batched);
    }

    private CpuSplit splitOf(EndToEndBench.Outcome o) {
        CpuSplit engineShares = engine.split();
        // the engine runs on the inference threads; their wall times overstate their CPU time when they wait for a
        // core: scaled down to the inference threads' CPU time when they exceed it
        double inferenceCpu = o.result().cpuByThread().getOrDefault(EndToEndBench.INFERENCE_THREAD_CPU, 0L);
        double scale = o.engineNanos() > inferenceCpu && inferenceCpu > 0 ? inferenceCpu / o.engineNanos() : 1;
        double engineNanos = o.engineNanos() * scale;
        double infer = Math.min(o.inferNanos() * scale, engineNanos);
        double nonModel = engineNanos - infer;
        double tp = engineShares.tokenize() + engineShares.postprocess();
        double tokenize = tp == 0 ? 0 : nonModel * engineShares.tokenize() / tp;
        double post = nonModel - tokenize;
        return new CpuSplit(tokenize, infer, post, Math.max(0, o.processNanos() - engineNanos));
    }

    public List<String> machineLines() {
        CpuSplit e2e = splitOf(batched);
        List<String> lines = new ArrayList<>(List.of(
                fmt("ratio end_to_end/model_only=%.3f", ratioEndToEndVsModelOnly()),
                fmt("ratio batched/per_record=%.3f", ratioBatchedVsPerRecord()),
                fmt("padding_efficiency=%.3f", paddingEfficiency()),
                "batch_size_histogram=" + batched.result().batchSizes().format(),
                fmt("model_run_mean_sequences=%.2f", batched.meanModelRun()),
                "cpu_split=" + e2e.format(),
                "cpu_split_engine=" + engine.split().format(),
                fmt("events_per_s model_only=%.1f model_only_batch1=%.1f engine=%.1f engine_batch1=%.1f "
                                + "end_to_end=%.1f per_record=%.1f", modelOnly.eventsPerSecond(),
                        modelOnlyPerRecord.eventsPerSecond(), engine.result().eventsPerSecond(),
                        enginePerRecord.eventsPerSecond(), batched.result().eventsPerSecond(),
                        perRecord.result().eventsPerSecond()),
                latencyLine("end_to_end", batched.result().latencies()),
                Double.isNaN(batched.latencyMeanModelRun()) ? "latency_model_run_mean_sequences=not_measured"
                        : fmt("latency_model_run_mean_sequences=%.2f", batched.latencyMeanModelRun()),
                latencyLine("per_record", perRecord.result().latencies()),
                goalLine("end_to_end/model_only", ratioEndToEndVsModelOnly(), GOAL_END_TO_END_VS_MODEL_ONLY),
                goalLine("batched/per_record", ratioBatchedVsPerRecord(), GOAL_BATCHED_VS_PER_RECORD),
                goalLine("padding_efficiency", paddingEfficiency(), GOAL_PADDING_EFFICIENCY)));
        options.simulatedDevice().ifPresent(d -> {
            lines.add("simulated_device=" + d.format());
            lines.add(fmt("device_busy_fraction=%.3f", batched.deviceBusyFraction()));
            lines.add(fmt("service_cpu_us_per_event=%.1f", batched.serviceCpuNanosPerEvent() / 1e3));
        });
        return List.copyOf(lines);
    }

    private static String latencyLine(String mode, Latencies l) {
        if (l == null) {
            return "latency_ms " + mode + " not_measured";
        }
        return fmt("latency_ms %s rate_per_s=%.1f p50=%d p95=%d p99=%d max=%d n=%d", mode, l.ratePerSecond(), l.p50(),
                l.p95(), l.p99(), l.max(), l.count());
    }

    private static String goalLine(String name, double value, double goal) {
        return fmt("goal %s>=%s %s (%.3f)", name, trim(goal), value >= goal ? "met" : "missed", value);
    }

    public void print(PrintStream out) {
        out.println("# Enricher benchmark");
        out.println();
        options.simulatedDevice().ifPresent(d -> {
            out.printf(Locale.ROOT, "**Simulated device (%s): every figure below comes from a simulated accelerator, "
                    + "not from the models.** Each model run does no CPU work, sleeps max(floor, per-token time x "
                    + "padded tokens) on one device shared by both models and all threads, and returns zero logits.%n",
                    d.format());
            out.println();
        });
        out.printf(Locale.ROOT, "- machine: %s, %d cores, %s memory, %s, %s, ONNX Runtime %s; load average (1 min) "
                        + "%.2f at the start, %.2f at the end%n", machine.cpu(), machine.cores(), machine.memory(),
                machine.os(), machine.java(), machine.onnxRuntime(), machine.loadAverage(), machine.loadAverageEnd());
        out.printf(Locale.ROOT, "- models: %s; intra-op threads %d%n", models, options.threads());
        out.printf(Locale.ROOT, "- texts: %d distinct short events of %d..%d tokens (mean %.1f), seed %d; every mode "
                + "runs over the same texts%n", texts, options.minTokens(), options.maxTokens(), meanTokens, options.seed());
        out.printf(Locale.ROOT, "- service: %s%n", settings);
        out.println();
        out.println("| mode | events | events/s | process CPU ms/event | padding efficiency | mean batch | "
                + "latency p50 / p95 / p99 ms (at events/s) |");
        out.println("|---|---:|---:|---:|---:|---:|---|");
        for (ModeResult r : List.of(modelOnly, modelOnlyPerRecord, engine.result(), enginePerRecord, batched.result(),
                perRecord.result())) {
            out.printf(Locale.ROOT, "| %s | %d | %.1f | %.2f | %s | %.1f | %s |%n", r.title(), r.events(),
                    r.eventsPerSecond(), r.cpuMsPerEvent(), Double.isNaN(r.paddingEfficiency()) ? "-"
                            : fmt("%.3f", r.paddingEfficiency()), r.meanBatch(), latency(r.latencies()));
        }
        out.println();
        out.printf(Locale.ROOT, "End-to-end events/s are measured between the reader seeing 10%% and 100%% of the "
                        + "pre-produced events; from the service's start to the last result took %.1f s (batched) and "
                        + "%.1f s (per record), start-up and group join included.%n", batched.secondsToAllResults(),
                perRecord.secondsToAllResults());
        out.println();
        out.println("## CPU-time split");
        out.println();
        CpuSplit e2e = splitOf(batched);
        CpuSplit base = splitOf(perRecord);
        CpuSplit eng = engine.split();
        out.println("| share of time | engine mode | end to end, batched | end to end, per record |");
        out.println("|---|---:|---:|---:|");
        out.printf(Locale.ROOT, "| tokenize | %s | %s | %s |%n", pct(eng.tokenize(), eng), pct(e2e.tokenize(), e2e),
                pct(base.tokenize(), base));
        out.printf(Locale.ROOT, "| infer (tensor filling, ONNX Runtime, output copy) | %s | %s | %s |%n",
                pct(eng.infer(), eng), pct(e2e.infer(), e2e), pct(base.infer(), base));
        out.printf(Locale.ROOT, "| post-process (pipelines, enriched record) | %s | %s | %s |%n", pct(eng.postprocess(), eng),
                pct(e2e.postprocess(), e2e), pct(base.postprocess(), base));
        out.printf(Locale.ROOT, "| Kafka + Avro (process CPU minus engine) | - | %s | %s |%n", pct(e2e.kafkaAvro(), e2e),
                pct(base.kafkaAvro(), base));
        out.printf(Locale.ROOT, "| total, ms per event | %.2f | %.2f | %.2f |%n", eng.total() / 1e6 / engine.result().events(),
                e2e.total() / 1e6 / batched.result().events(), base.total() / 1e6 / perRecord.result().events());
        out.println();
        out.println("Engine mode: wall time of one thread (model runs timed by the pipelines' run listener, "
                + "tokenization timed apart on the same batches, post-processing the rest). End to end: the engine's "
                + "wall time from the results' timings, model runs from the service's metrics, over the process CPU "
                + "time of the saturation window.");
        out.println();
        out.println("End to end, process CPU by thread over the saturation window (ms per event):");
        out.println();
        out.println("| threads | batched | per record |");
        out.println("|---|---:|---:|");
        Set<String> groups = new LinkedHashSet<>(List.of(EndToEndBench.STREAM_THREAD_CPU,
                EndToEndBench.INFERENCE_THREAD_CPU, EndToEndBench.STREAMS_OTHER_CPU,
                EndToEndBench.BROKER_CPU, EndToEndBench.BENCH_CPU, CpuClock.JIT, CpuClock.GC, EndToEndBench.NATIVE_CPU));
        groups.addAll(batched.result().cpuByThread().keySet());
        for (String g : groups) {
            out.printf(Locale.ROOT, "| %s | %.2f | %.2f |%n", g, perEvent(batched, g), perEvent(perRecord, g));
        }
        out.printf(Locale.ROOT, "| all (process) | %.2f | %.2f |%n", batched.result().cpuMsPerEvent(),
                perRecord.result().cpuMsPerEvent());
        out.println();
        out.println("## Batch sizes");
        out.println();
        out.println("- engine batches, end to end batched (size:batches): " + batched.result().batchSizes().format());
        out.printf(Locale.ROOT, "- model runs after padding-aware splitting, end to end batched (from the service's "
                + "metrics; sequences per run, both models): %.2f at saturation, %s during the paced latency run%n",
                batched.meanModelRun(), Double.isNaN(batched.latencyMeanModelRun()) ? "not measured"
                        : fmt("%.2f", batched.latencyMeanModelRun()));
        out.println("- model runs per model, engine mode: " + engine.modelRuns().format());
        out.println();
        out.println("## Goals (defined for the MiniLM-size bundles)");
        out.println();
        out.println("| goal | value | |");
        out.println("|---|---:|---|");
        goalRow(out, "end-to-end / model-only >= 0.9", ratioEndToEndVsModelOnly(), GOAL_END_TO_END_VS_MODEL_ONLY);
        goalRow(out, "batched / per-record >= 5", ratioBatchedVsPerRecord(), GOAL_BATCHED_VS_PER_RECORD);
        goalRow(out, "padding efficiency >= 0.9", paddingEfficiency(), GOAL_PADDING_EFFICIENCY);
        out.println();
        out.println("## Profile");
        out.println();
        profile(out, e2e);
        out.println();
        options.simulatedDevice().ifPresent(d -> simulated(out));
        out.println("## Machine-readable");
        out.println();
        out.println("```");
        machineLines().forEach(out::println);
        out.println("```");
    }

    private void profile(PrintStream out, CpuSplit e2e) {
        double modelMs = 1000 / modelOnly.eventsPerSecond();
        double e2eWallMs = 1000 / batched.result().eventsPerSecond();
        long n = batched.result().events();
        double inferMs = e2e.infer() / 1e6 / n;
        double engineOtherMs = (e2e.tokenize() + e2e.postprocess()) / 1e6 / n;
        double streamMs = perEvent(batched, EndToEndBench.STREAM_THREAD_CPU);
        double inferenceMs = perEvent(batched, EndToEndBench.INFERENCE_THREAD_CPU);
        out.printf(Locale.ROOT, "- end to end vs model only: the models alone take %.2f ms per event (both models, "
                        + "runs of %.1f). End to end, one event leaves every %.2f ms; the inference threads spend %.2f "
                        + "ms of CPU per event: %.2f ms in model runs (runs of %.1f on average), %.2f ms tokenizing and "
                        + "post-processing; the stream threads %.2f ms (Kafka Streams, the state store, decoding, "
                        + "Avro). The other threads (broker, clients, JIT, GC, native pools) use %.2f ms per event on "
                        + "the %d cores.%n",
                modelMs, modelOnly.meanBatch(), e2eWallMs, inferenceMs, inferMs, batched.meanModelRun(),
                engineOtherMs, streamMs, batched.result().cpuMsPerEvent() - streamMs - inferenceMs, machine.cores());
        out.printf(Locale.ROOT, "- wall times on the inference threads, per event: engine %.2f ms (results' "
                        + "timings), model runs %.2f ms (the service's metrics); where they exceed the threads' CPU "
                        + "time they waited for a core, and the split above is scaled to their CPU time.%n",
                batched.engineNanos() / 1e6 / n, batched.inferNanos() / 1e6 / n);
        out.printf(Locale.ROOT, "- batched vs per record: on the models alone, runs of %.1f give %.2fx the events/s of "
                        + "single-text runs; the engine %.2fx; end to end %.2fx. Per record, the process spends %.2f ms "
                        + "of CPU per event, %.2f ms of it outside the engine.%n",
                modelOnly.meanBatch(), modelOnly.eventsPerSecond() / modelOnlyPerRecord.eventsPerSecond(),
                engine.result().eventsPerSecond() / enginePerRecord.eventsPerSecond(), ratioBatchedVsPerRecord(),
                perRecord.result().cpuMsPerEvent(), splitOf(perRecord).kafkaAvro() / 1e6 / perRecord.result().events());
        out.printf(Locale.ROOT, "- padding: %.3f end to end (batches of arrivals, split so that each model run keeps at "
                        + "least the configured efficiency), %.3f in the engine mode, %.3f for the model-only "
                        + "ceiling (all texts sorted by length).%n", paddingEfficiency(),
                engine.result().paddingEfficiency(), modelOnly.paddingEfficiency());
    }

    private void simulated(PrintStream out) {
        out.println("## Simulated device");
        out.println();
        out.printf(Locale.ROOT, "- device busy over the saturation window: %.3f batched, %.3f per record (simulated "
                        + "busy time from the formula / wall time; 1 means the device is the bottleneck).%n",
                batched.deviceBusyFraction(), perRecord.deviceBusyFraction());
        out.printf(Locale.ROOT, "- service CPU per event at saturation: %.1f µs batched, %.1f µs per record: stream "
                        + "thread, Kafka Streams' client threads, GC and native threads; not the broker's and other "
                        + "Java threads (bench main thread, JVM housekeeping), the bench producer and reader, or the JIT "
                        + "compiler (warm-up). Model runs cost no CPU on the simulated device (zero logits are "
                        + "allocated, nothing else); with floor_ms=0,us_per_token=0 this is the service's own CPU per "
                        + "event at its fastest.%n",
                batched.serviceCpuNanosPerEvent() / 1e3, perRecord.serviceCpuNanosPerEvent() / 1e3);
        out.println();
    }

    private static double perEvent(EndToEndBench.Outcome o, String group) {
        Map<String, Long> cpu = o.result().cpuByThread();
        return cpu.getOrDefault(group, 0L) / 1e6 / o.result().events();
    }

    private static void goalRow(PrintStream out, String goal, double value, double target) {
        out.printf(Locale.ROOT, "| %s | %.3f | %s |%n", goal, value, value >= target ? "met" : "**missed**");
    }

    private static String latency(Latencies l) {
        return l == null ? "-" : fmt("%d / %d / %d (at %.1f)", l.p50(), l.p95(), l.p99(), l.ratePerSecond());
    }

    private static String pct(double part, CpuSplit of) {
        return fmt("%.1f%%", 100 * part / of.total());
    }

    static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
