package dev.enricher.topology;

/** What the processor reports; implementations are thread-safe and cheap. */
public interface ProcessingMetrics {
    ProcessingMetrics NONE = new ProcessingMetrics() { };

    /** An input record was consumed. */
    default void eventIn() { }

    /** An enriched event was forwarded. */
    default void eventOut(long endToEndMs, long batchWaitMs) { }

    default void deadLetter(DeadLetterReason reason) { }

    /** A batch of {@code size} events closed and ran. */
    default void batch(int size) { }

    /** A batch was held back by a transient fault of {@code kind} ({@code engine} or {@code registry}). */
    default void transientFault(String kind) { }
}
