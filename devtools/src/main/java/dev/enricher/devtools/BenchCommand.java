package dev.enricher.devtools;

import dev.enricher.bench.BenchOptions;
import dev.enricher.bench.BenchReport;
import dev.enricher.bench.Benchmark;
import dev.enricher.bench.SimulatedDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: in one process and one run, on the same model files, threads and texts, the classifier and the
 * NER tagger model only (the ceiling), through the engine, end to end through the in-process broker with
 * batching, and end to end one record per inference call (the usual approach). Prints a table and
 * machine-readable lines; see {@code docs/benchmarks.md}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measures the classifier + NER tagger model only (ceiling), through the engine, end to end "
                + "through an in-process broker (batched) and end to end one record per call (baseline); prints a "
                + "table and machine-readable lines (ratio end_to_end/model_only=..., ratio batched/per_record=..., "
                + "padding_efficiency=..., batch sizes, CPU split). Progress goes to stderr.")
final class BenchCommand implements Callable<Integer> {

    enum Bundles { TINY, MINILM }

    @Option(names = "--bundles", defaultValue = "minilm", description = "tiny (models/tiny-sentiment + models/tiny-ner, "
            + "a quick smoke run) or minilm (models/build/minilm-*-random, built by "
            + "models/tools/build_minilm_bundles.sh). Default: ${DEFAULT-VALUE}.")
    Bundles bundles;

    @Option(names = "--models", description = "The models/ folder (default: models/ of the repository).")
    Path models;

    @Option(names = "--classifier", description = "Classifier bundle folder, instead of --bundles'.")
    Path classifier;

    @Option(names = "--ner", description = "NER bundle folder, instead of --bundles'.")
    Path ner;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--quick", description = "Short runs (1 s per mode, 256 texts, 3 s end to end): a smoke run, "
            + "not a measurement.")
    boolean quick;

    @Option(names = "--texts", description = "Distinct texts (default: 1024, 256 with --quick).")
    Integer texts;

    @Option(names = "--min-tokens", defaultValue = "10", description = "Shortest text in tokens (default: ${DEFAULT-VALUE}).")
    int minTokens;

    @Option(names = "--max-tokens", defaultValue = "64", description = "Longest text in tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--seconds", description = "Least measuring time of the model-only and engine modes (default: 10).")
    Double seconds;

    @Option(names = "--warmup", description = "Warm-up seconds before each in-process mode (default: 2).")
    Double warmup;

    @Option(names = "--e2e-seconds", description = "Aimed duration of each end-to-end saturation run (default: 20).")
    Double e2eSeconds;

    @Option(names = "--latency-seconds", description = "Duration of each paced latency run, 0 to skip (default: 15).")
    Double latencySeconds;

    @Option(names = "--latency-rate", defaultValue = "0", description = "Events/s of the paced latency runs, the same "
            + "for every mode, e.g. to compare --partitions at one offered load (default: half of each mode's "
            + "measured saturation rate).")
    double latencyRate;

    @Option(names = "--events", defaultValue = "0", description = "Events of the batched end-to-end run (default: "
            + "from the engine's rate and --e2e-seconds).")
    int events;

    @Option(names = "--baseline-events", defaultValue = "0", description = "Events of the per-record end-to-end run "
            + "(default: likewise).")
    int baselineEvents;

    @Option(names = "--batch-max-records", defaultValue = "32", description = "batch.max.records of the batched modes "
            + "(default: ${DEFAULT-VALUE}).")
    int batchMaxRecords;

    @Option(names = "--batch-max-delay-ms", defaultValue = "20", description = "batch.max.delay.ms of the batched "
            + "service (default: ${DEFAULT-VALUE}).")
    int batchMaxDelayMs;

    @Option(names = "--partitions", defaultValue = "1", description = "Partitions of the input topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--set", description = "A service configuration key for every mode, key=value (repeatable), e.g. "
            + "--set kafka.commit.interval.ms=50 --set processing.guarantee=at_least_once.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--simulated-device", arity = "0..1", fallbackValue = "floor_ms=3,us_per_token=1.0",
            paramLabel = "floor_ms=<ms>,us_per_token=<us>", description = "Benchmark only: every model run of every "
            + "mode goes to one simulated accelerator instead of ONNX Runtime: no CPU work, a sleep of max(floor_ms, "
            + "us_per_token x padded tokens), runs one at a time, zero logits. Alone: ${FALLBACK-VALUE} (BERT-base "
            + "fp16 on an H200). Adds device_busy_fraction= and service_cpu_us_per_event= (use floor_ms=0,"
            + "us_per_token=0 for the service's own CPU per event).")
    String simulatedDevice;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the texts (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        Path modelsDir = models != null ? models : DemoCommand.defaultModelsDir();
        Path c = classifier != null ? classifier : modelsDir.resolve(bundles == Bundles.TINY ? "tiny-sentiment"
                : "build/minilm-sentiment-random");
        Path n = ner != null ? ner : modelsDir.resolve(bundles == Bundles.TINY ? "tiny-ner" : "build/minilm-ner-random");
        for (Path p : new Path[] {c, n}) {
            if (!Files.isDirectory(p)) {
                System.err.println("bench: no model bundle at " + p + (bundles == Bundles.MINILM && classifier == null
                        ? "; build the MiniLM-size bundles with models/tools/build_minilm_bundles.sh, or use "
                        + "--bundles tiny" : ""));
                return 2;
            }
        }
        BenchOptions.Builder b = BenchOptions.builder(c, n).threads(threads).tokens(minTokens, maxTokens)
                .events(events).baselineEvents(baselineEvents).batchMaxRecords(batchMaxRecords)
                .batchMaxDelayMs(batchMaxDelayMs).partitions(partitions).latencyRate(latencyRate).seed(seed);
        if (quick) {
            b.texts(256).seconds(1).warmupSeconds(0.5).endToEndSeconds(3).latencySeconds(3);
        }
        if (texts != null) {
            b.texts(texts);
        }
        if (seconds != null) {
            b.seconds(seconds);
        }
        if (warmup != null) {
            b.warmupSeconds(warmup);
        }
        if (e2eSeconds != null) {
            b.endToEndSeconds(e2eSeconds);
        }
        if (latencySeconds != null) {
            b.latencySeconds(latencySeconds);
        }
        overrides.forEach(b::set);
        BenchOptions options;
        try {
            if (simulatedDevice != null) {
                b.simulatedDevice(SimulatedDevice.Spec.parse(simulatedDevice));
            }
            options = b.build();
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            return 2;
        }
        BenchReport report = Benchmark.run(options, ServiceTargets::openEngine, ServiceTargets::service, System.err);
        report.print(System.out);
        System.out.flush();
        return 0;
    }
}
