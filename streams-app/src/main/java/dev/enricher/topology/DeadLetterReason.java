package dev.enricher.topology;

import java.util.Locale;

/** Why a record went to the dead-letter topic; written in header {@value DeadLetters#REASON_HEADER}. */
public enum DeadLetterReason {
    /** The value cannot be decoded: invalid JSON, invalid UTF-8, invalid Avro. */
    DESERIALIZATION,
    /** Decoded, but not an event: missing or non-text text field, null value (tombstone). */
    VALIDATION,
    /** The text is longer than {@code input.max.chars}. */
    OVERSIZE,
    /** The models failed on this event alone (they work for others). */
    INFERENCE,
    /**
     * The input record does not fit in the pending store's changelog, or its enriched event in its topic (over
     * {@code output.max.bytes}). Any dead letter that would itself be over it is sent compact, keeping its reason,
     * with {@value DeadLetters#TRUNCATED_HEADER}.
     */
    TOO_LARGE;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
