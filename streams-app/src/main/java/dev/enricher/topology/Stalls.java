package dev.enricher.topology;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What waits out a transient fault, by name: the batch scheduler while the models fail on every input (kind
 * {@code engine}), a task while the schema registry cannot be reached (kind {@code registry}). Nothing of theirs
 * is committed as done, and they retry with backoff. One per process, shared by all tasks; thread-safe. The
 * service is not ready while anything is stalled, and not live once the models have failed for longer than
 * {@code health.stall.timeout.ms}. Durations are measured on {@link System#nanoTime()} only.
 */
public final class Stalls {
    public static final String ENGINE = "engine";
    public static final String REGISTRY = "registry";

    private record Stall(String kind, String cause, long sinceNanos) {}

    private final Map<String, Stall> stalls = new ConcurrentHashMap<>();

    /** Marks {@code who} stalled; stalled again for the same kind, it keeps the time it first stalled. */
    public void stall(String who, String kind, String cause) {
        long now = System.nanoTime();
        stalls.merge(who, new Stall(kind, cause, now),
                (old, next) -> old.kind().equals(kind) ? new Stall(kind, cause, old.sinceNanos()) : next);
    }

    public void clear(String who) {
        stalls.remove(who);
    }

    public boolean any() {
        return !stalls.isEmpty();
    }

    public int count() {
        return stalls.size();
    }

    /** True when something has waited on failing models for longer than {@code limit}. */
    public boolean engineStalledLongerThan(Duration limit) {
        long now = System.nanoTime();
        return stalls.values().stream().anyMatch(s -> s.kind().equals(ENGINE) && now - s.sinceNanos() > limit.toNanos());
    }

    /** The kind and cause of each stall, by name, for logs and probes. */
    public Map<String, String> causes() {
        Map<String, String> out = new TreeMap<>();
        stalls.forEach((who, stall) -> out.put(who, stall.kind() + ": " + stall.cause()));
        return out;
    }
}
