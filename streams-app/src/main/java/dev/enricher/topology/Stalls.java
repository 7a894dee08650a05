package dev.enricher.topology;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.TaskId;

/**
 * Tasks whose pending events wait out a transient fault (models failing on every input, an unreachable schema
 * registry): nothing of theirs is committed as done, and they retry with backoff. One per process, shared by all
 * tasks; thread-safe. The service is not ready while any task is stalled.
 */
public final class Stalls {
    private final Map<TaskId, String> causes = new ConcurrentHashMap<>();

    void stall(TaskId task, String cause) {
        causes.put(task, cause);
    }

    void clear(TaskId task) {
        causes.remove(task);
    }

    public boolean any() {
        return !causes.isEmpty();
    }

    public int count() {
        return causes.size();
    }

    /** The cause of each stalled task, for logs and probes. */
    public Map<String, String> causes() {
        Map<String, String> out = new TreeMap<>();
        causes.forEach((task, cause) -> out.put(task.toString(), cause));
        return out;
    }
}
