package dev.enricher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Waits for results in {@link TopologyTestDriver} tests: batches run on the scheduler's threads (closing on real
 * time) and come back on the tasks' wall-clock punctuation, so the driver's clock is advanced in small steps.
 */
public final class DriverAwait {
    private DriverAwait() {}

    /** Advances the driver's wall clock 10 ms at a time until {@code done} holds; fails after 30 s. */
    public static void await(TopologyTestDriver driver, String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
            driver.advanceWallClockTime(Duration.ofMillis(10));
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting: " + what, e);
            }
        }
    }
}
