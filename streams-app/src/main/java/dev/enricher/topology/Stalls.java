package dev.enricher.topology;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.TaskId;

/**
 * Tasks whose pending events wait out a transient fault (models failing on every input: kind {@code engine}; an
 * unreachable schema registry: kind {@code registry}): nothing of theirs is committed as done, and they retry with
 * backoff. One per process, shared by all tasks; thread-safe. The service is not ready while any task is stalled,
 * and not live once one has waited on failing models longer than {@code health.stall.timeout.ms}. Durations are
 * measured on {@link System#nanoTime()} only.
 */
public final class Stalls {
    public static final String ENGINE = "engine";
    public static final String REGISTRY = "registry";

    private record Stall(String kind, String cause, long sinceNanos) {}

    private final Map<TaskId, Stall> stalls = new ConcurrentHashMap<>();

    /** Marks {@code task} stalled; a task stalled again for the same kind keeps the time it first stalled. */
    void stall(TaskId task, String kind, String cause) {
        long now = System.nanoTime();
        stalls.merge(task, new Stall(kind, cause, now),
                (old, next) -> old.kind().equals(kind) ? new Stall(kind, cause, old.sinceNanos()) : next);
    }

    void clear(TaskId task) {
        stalls.remove(task);
    }

    public boolean any() {
        return !stalls.isEmpty();
    }

    public int count() {
        return stalls.size();
    }

    /** True when a task has waited on failing models for longer than {@code limit}. */
    public boolean engineStalledLongerThan(Duration limit) {
        long now = System.nanoTime();
        return stalls.values().stream().anyMatch(s -> s.kind().equals(ENGINE) && now - s.sinceNanos() > limit.toNanos());
    }

    /** The kind and cause of each stalled task, for logs and probes. */
    public Map<String, String> causes() {
        Map<String, String> out = new TreeMap<>();
        stalls.forEach((task, stall) -> out.put(task.toString(), stall.kind() + ": " + stall.cause()));
        return out;
    }
}
