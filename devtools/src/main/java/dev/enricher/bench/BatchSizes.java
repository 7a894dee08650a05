package dev.enricher.bench;

import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * How many batches of each size ran. Built from enriched events, each of which states the size of its batch:
 * {@code n} events stating size {@code s} are {@code n / s} batches. Not thread-safe.
 */
public final class BatchSizes {
    private final TreeMap<Integer, Long> eventsBySize = new TreeMap<>();

    /** Counts one enriched event that ran in a batch of {@code size}. */
    public void addEvent(int size) {
        eventsBySize.merge(Math.max(1, size), 1L, Long::sum);
    }

    /** Counts one batch of {@code size} events. */
    public void addBatch(int size) {
        eventsBySize.merge(Math.max(1, size), (long) Math.max(1, size), Long::sum);
    }

    public void clear() {
        eventsBySize.clear();
    }

    public BatchSizes copy() {
        BatchSizes c = new BatchSizes();
        c.eventsBySize.putAll(eventsBySize);
        return c;
    }

    /** Batches per size, smallest size first. */
    public Map<Integer, Long> batches() {
        Map<Integer, Long> out = new TreeMap<>();
        eventsBySize.forEach((size, events) -> out.put(size, Math.max(1, Math.round((double) events / size))));
        return out;
    }

    public long events() {
        return eventsBySize.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Mean batch size weighted by batch, or 0 when empty. */
    public double meanBatch() {
        long batches = batches().values().stream().mapToLong(Long::longValue).sum();
        return batches == 0 ? 0 : (double) events() / batches;
    }

    /** {@code size:batches,...}, smallest size first, e.g. {@code 1:3,31:2,32:120}; {@code none} when empty. */
    public String format() {
        if (eventsBySize.isEmpty()) {
            return "none";
        }
        StringJoiner j = new StringJoiner(",");
        batches().forEach((size, count) -> j.add(size + ":" + count));
        return j.toString();
    }
}
