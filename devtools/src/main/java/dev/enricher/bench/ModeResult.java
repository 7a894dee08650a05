package dev.enricher.bench;

import java.util.Map;

/**
 * The measurement of one mode.
 *
 * @param mode machine name, e.g. {@code model_only}, {@code end_to_end}
 * @param title what ran, for the table
 * @param events events measured
 * @param wallSeconds measuring time
 * @param cpuSeconds process CPU time over the measuring time
 * @param paddingEfficiency real tokens / padded tokens of both models, or NaN where not measured
 * @param meanBatch mean events per batch
 * @param batchSizes batches per size, or null where batches are fixed
 * @param latencies latency at a paced rate, or null where not measured
 * @param cpuByThread CPU nanoseconds per thread category over the measuring time, or null
 */
public record ModeResult(String mode, String title, long events, double wallSeconds, double cpuSeconds,
                         double paddingEfficiency, double meanBatch, BatchSizes batchSizes, Latencies latencies,
                         Map<String, Long> cpuByThread) {

    public double eventsPerSecond() {
        return events / wallSeconds;
    }

    public double cpuMsPerEvent() {
        return cpuSeconds * 1000 / events;
    }

    public ModeResult withLatencies(Latencies l) {
        return new ModeResult(mode, title, events, wallSeconds, cpuSeconds, paddingEfficiency, meanBatch, batchSizes, l,
                cpuByThread);
    }
}
