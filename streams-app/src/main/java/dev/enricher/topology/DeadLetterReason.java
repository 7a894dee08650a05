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
    /** The models failed on this event. */
    INFERENCE;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
