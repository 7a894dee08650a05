package dev.enricher.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The process's CPU, GC and thread metrics appear in the Prometheus scrape beside the JVM memory ones. */
class ServiceMetricsTest {

    private static List<String> samples(String scrape, String name) {
        return scrape.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{")).toList();
    }

    private static double value(String line) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    @Test
    void processCpuThreadsAndUptimeAreScraped() {
        try (ServiceMetrics metrics = new ServiceMetrics()) {
            String scrape = metrics.scrape();
            System.out.println("process metrics: " + scrape.lines().filter(l -> !l.startsWith("#") && (l.startsWith(
                    "process_") || l.startsWith("jvm_threads") || l.startsWith("system_cpu"))).toList());
            assertTrue(!samples(scrape, "jvm_memory_used_bytes").isEmpty(), "memory, as before");
            assertTrue(value(samples(scrape, "process_cpu_usage").get(0)) >= 0);
            assertTrue(value(samples(scrape, "process_cpu_time_ns_total").get(0)) > 0, "CPU time spent so far");
            assertTrue(value(samples(scrape, "jvm_threads_live_threads").get(0)) >= 1);
            assertTrue(value(samples(scrape, "jvm_threads_daemon_threads").get(0)) >= 0);
            assertTrue(value(samples(scrape, "jvm_threads_peak_threads").get(0))
                    >= value(samples(scrape, "jvm_threads_live_threads").get(0)) - 1);
            List<String> states = samples(scrape, "jvm_threads_states_threads");
            assertTrue(states.stream().anyMatch(l -> l.contains("state=\"runnable\"")), states.toString());
            assertTrue(states.stream().anyMatch(l -> l.contains("state=\"waiting\"")), states.toString());
            assertTrue(value(samples(scrape, "process_uptime_seconds").get(0)) > 0);
        }
    }

    /** Pauses are recorded per collector as the JVM reports them: a collection is asked for and waited for. */
    @Test
    void gcPausesAreCountedPerCollector() throws InterruptedException {
        try (ServiceMetrics metrics = new ServiceMetrics()) {
            List<String> pauses = List.of();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (pauses.isEmpty() && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(100);
                pauses = samples(metrics.scrape(), "jvm_gc_pause_seconds_count");
            }
            System.out.println("GC pauses: " + pauses);
            assertTrue(!pauses.isEmpty(), "jvm_gc_pause_seconds_count after System.gc()");
            assertTrue(pauses.stream().allMatch(l -> l.contains("gc=\"") && value(l) >= 1), pauses.toString());
            assertTrue(!samples(metrics.scrape(), "jvm_gc_pause_seconds_sum").isEmpty());
        }
    }
}
