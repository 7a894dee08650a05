package dev.enricher.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * The outcome of every send of the bench's producer to one input topic: acknowledged or failed, the first
 * failure kept. A failed send is an input event whose result can never come, so the bench stops at the first
 * one ({@link #check}) instead of waiting for its result.
 *
 * <p>Thread-safe: the producer's I/O thread completes sends while the bench's thread sends and checks.
 */
final class Sends implements Callback {
    private final String mode;
    private final String topic;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> first = new AtomicReference<>();

    /**
     * @param mode the end-to-end mode, for messages; never null
     * @param topic the input topic, for messages; never null
     */
    Sends(String mode, String topic) {
        this.mode = mode;
        this.topic = topic;
    }

    /** Counts one send handed to the producer; its completion comes through {@link #onCompletion}. */
    void sent() {
        sent.incrementAndGet();
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception exception) {
        if (exception == null) {
            acknowledged.incrementAndGet();
        } else {
            first.compareAndSet(null, exception);
            failed.incrementAndGet();
        }
    }

    long failed() {
        return failed.get();
    }

    /**
     * Throws once any send has failed, naming the first failure and how many failed so far.
     *
     * @throws IllegalStateException with the first failure as its cause
     */
    void check() {
        if (failed.get() > 0) {
            Exception e = first.get();
            throw new IllegalStateException(message(), e);
        }
    }

    /** What {@link #check} says, e.g. "end_to_end: 7 of 10240 sends to t failed ...". */
    String message() {
        long s = sent.get();
        long a = acknowledged.get();
        long f = failed.get();
        Exception e = first.get();
        return String.format(java.util.Locale.ROOT, "%s: %d of %d sends of the bench producer to %s failed (%d "
                        + "acknowledged, %d not completed yet); first failure: %s. The results of those events can "
                        + "never come, so the run stops here.", mode, f, s, topic, a, Math.max(0, s - a - f),
                e == null ? "none" : e.getClass().getName() + ": " + e.getMessage());
    }
}
