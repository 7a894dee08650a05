package dev.enricher.inference;

import java.util.Locale;

/** How token predictions become entities, as {@code aggregation_strategy} in transformers. */
public enum Aggregation {
    NONE, SIMPLE, FIRST, AVERAGE, MAX;

    public static Aggregation parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("aggregation '" + name + "' is not one of none, simple, first, average, max");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
