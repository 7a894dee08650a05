package dev.enricher.bench;

import java.util.Arrays;

/**
 * Percentiles of a set of latencies in milliseconds (nearest rank).
 *
 * @param count latencies measured
 * @param ratePerSecond the paced input rate they were measured at
 */
public record Latencies(int count, double ratePerSecond, long p50, long p95, long p99, long max) {

    public static Latencies of(long[] millis, double ratePerSecond) {
        long[] sorted = millis.clone();
        Arrays.sort(sorted);
        return new Latencies(sorted.length, ratePerSecond, rank(sorted, 0.50), rank(sorted, 0.95), rank(sorted, 0.99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
    }

    static long rank(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(q * sorted.length) - 1))];
    }
}
