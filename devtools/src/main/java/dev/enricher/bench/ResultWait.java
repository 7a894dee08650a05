package dev.enricher.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A bounded wait for the results of an end-to-end run. It ends with an {@link IllegalStateException} as soon as
 * something shows the results cannot all come: a check fails (a failed send, a failed service or reader), no new
 * result came for a while, or the whole wait took longer than its bound. Stateless.
 */
final class ResultWait {
    private static final long POLL_MILLIS = 50;

    private ResultWait() {}

    /**
     * How long to wait.
     *
     * @param bound the whole wait
     * @param firstResult longest wait for the first new result (start-up and group join come before it)
     * @param stall longest time without a new result once results come
     */
    record Limits(Duration bound, Duration firstResult, Duration stall) {}

    /**
     * Returns when {@code count} reaches {@code expected}.
     *
     * @param what names the wait in messages, e.g. "end_to_end: saturation results"
     * @param count results so far; read from this thread, so it must be thread-safe
     * @param check throws when the run has failed; called every poll
     * @param state a description of the service for messages, e.g. its Kafka Streams state
     * @throws IllegalStateException when a check fails, when results stall, or at the bound
     */
    static void await(String what, int expected, IntSupplier count, Limits limits, Runnable check,
                      Supplier<String> state) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + limits.bound().toNanos();
        int last = count.getAsInt();
        long lastProgress = start;
        boolean progressed = false;
        while (true) {
            check.run();
            int now = count.getAsInt();
            if (now >= expected) {
                return;
            }
            long t = System.nanoTime();
            if (now != last) {
                last = now;
                lastProgress = t;
                progressed = true;
            }
            Duration quiet = progressed ? limits.stall() : limits.firstResult();
            if (t - lastProgress > quiet.toNanos()) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: no new result for %s, %d of %d so "
                        + "far (%s)", what, seconds(quiet), now, expected, state.get()));
            }
            if (t > deadline) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: only %d of %d within %s (%s)", what,
                        now, expected, seconds(limits.bound()), state.get()));
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** E.g. "60 s", "0.3 s". */
    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : (d.toMillis() / 1000.0) + " s";
    }
}
