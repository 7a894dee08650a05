package dev.enricher.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What one benchmark run measures and how long. Immutable; build with {@link #builder(Path, Path)}.
 *
 * @param classifierDir sequence-classifier bundle; never null
 * @param nerDir token-classifier bundle; never null
 * @param threads ONNX Runtime intra-op threads of every mode
 * @param texts distinct texts; every in-process mode runs over all of them a whole number of times
 * @param minTokens shortest text, in tokens with special tokens
 * @param maxTokens longest text, in tokens with special tokens
 * @param seconds least measuring time of each in-process mode (model-only, engine)
 * @param warmupSeconds unmeasured run before each in-process mode
 * @param endToEndSeconds aimed duration of each end-to-end saturation run, which sets its event count
 * @param latencySeconds duration of each paced latency run; 0 skips the latency runs
 * @param latencyRate events/s of the paced latency runs; 0 paces each at half its own saturation rate
 * @param events events of the batched saturation run; 0 derives it from the engine rate and endToEndSeconds
 * @param baselineEvents events of the per-record saturation run; 0 derives it likewise
 * @param batchMaxRecords batch.max.records of the batched modes
 * @param batchMaxDelayMs batch.max.delay.ms of the batched service
 * @param partitions partitions of each input topic
 * @param serviceOverrides further service configuration keys (e.g. {@code kafka.commit.interval.ms}), applied
 *     to both services and to the engine of the in-process modes
 * @param seed seed of the texts
 * @param simulatedDevice when present, every model run of every mode goes to this one simulated accelerator
 *     instead of ONNX Runtime ({@link SimulatedDevice}); never null
 */
public record BenchOptions(Path classifierDir, Path nerDir, int threads, int texts, int minTokens, int maxTokens,
                           double seconds, double warmupSeconds, double endToEndSeconds, double latencySeconds,
                           double latencyRate, int events, int baselineEvents, int batchMaxRecords,
                           int batchMaxDelayMs, int partitions, Map<String, String> serviceOverrides, long seed,
                           Optional<SimulatedDevice.Spec> simulatedDevice) {

    public BenchOptions {
        Objects.requireNonNull(classifierDir, "classifierDir");
        Objects.requireNonNull(nerDir, "nerDir");
        serviceOverrides = Map.copyOf(serviceOverrides);
        Objects.requireNonNull(simulatedDevice, "simulatedDevice");
        if (threads < 1 || texts < 1 || batchMaxRecords < 1 || partitions < 1 || batchMaxDelayMs < 0
                || events < 0 || baselineEvents < 0) {
            throw new IllegalArgumentException("threads, texts, batch.max.records and partitions must be at least 1; "
                    + "delay and event counts at least 0");
        }
        if (!(seconds > 0) || warmupSeconds < 0 || !(endToEndSeconds > 0) || latencySeconds < 0) {
            throw new IllegalArgumentException("measuring times must be positive (warm-up and latency may be 0)");
        }
        if (!(latencyRate >= 0) || Double.isInfinite(latencyRate)) {
            throw new IllegalArgumentException("the latency rate must be a finite number of events/s, or 0 for half "
                    + "the saturation rate; got " + latencyRate);
        }
    }

    public static Builder builder(Path classifierDir, Path nerDir) {
        return new Builder(classifierDir, nerDir);
    }

    /** Defaults: 1 thread, 1024 texts of 10..64 tokens, 10 s per mode, batches of 32 closing after 20 ms. */
    public static final class Builder {
        private final Path classifierDir;
        private final Path nerDir;
        private int threads = 1;
        private int texts = 1024;
        private int minTokens = 10;
        private int maxTokens = 64;
        private double seconds = 10;
        private double warmupSeconds = 2;
        private double endToEndSeconds = 20;
        private double latencySeconds = 15;
        private double latencyRate;
        private int events;
        private int baselineEvents;
        private int batchMaxRecords = 32;
        private int batchMaxDelayMs = 20;
        private int partitions = 1;
        private final Map<String, String> serviceOverrides = new LinkedHashMap<>();
        private long seed = 1;
        private SimulatedDevice.Spec simulatedDevice;

        private Builder(Path classifierDir, Path nerDir) {
            this.classifierDir = classifierDir;
            this.nerDir = nerDir;
        }

        public Builder threads(int v) { threads = v; return this; }
        public Builder texts(int v) { texts = v; return this; }
        public Builder tokens(int min, int max) { minTokens = min; maxTokens = max; return this; }
        public Builder seconds(double v) { seconds = v; return this; }
        public Builder warmupSeconds(double v) { warmupSeconds = v; return this; }
        public Builder endToEndSeconds(double v) { endToEndSeconds = v; return this; }
        public Builder latencySeconds(double v) { latencySeconds = v; return this; }
        public Builder latencyRate(double v) { latencyRate = v; return this; }
        public Builder events(int v) { events = v; return this; }
        public Builder baselineEvents(int v) { baselineEvents = v; return this; }
        public Builder batchMaxRecords(int v) { batchMaxRecords = v; return this; }
        public Builder batchMaxDelayMs(int v) { batchMaxDelayMs = v; return this; }
        public Builder partitions(int v) { partitions = v; return this; }
        public Builder set(String key, String value) { serviceOverrides.put(key, value); return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder simulatedDevice(SimulatedDevice.Spec v) { simulatedDevice = v; return this; }

        public BenchOptions build() {
            return new BenchOptions(classifierDir, nerDir, threads, texts, minTokens, maxTokens, seconds, warmupSeconds,
                    endToEndSeconds, latencySeconds, latencyRate, events, baselineEvents, batchMaxRecords,
                    batchMaxDelayMs, partitions, serviceOverrides, seed, Optional.ofNullable(simulatedDevice));
        }
    }
}
