package dev.enricher.batching;

import dev.enricher.engine.EnrichmentEngine.EngineFailure;
import dev.enricher.engine.EnrichmentEngine.Event;
import dev.enricher.engine.EnrichmentEngine.Outcome;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per process: gathers the events that every task of every stream thread submits into batches, and runs
 * them on its own inference threads, so a batch holds events of many partitions and the stream threads go on
 * with Kafka work while the models run.
 *
 * <p>A batch closes when the queued events reach {@link Rules#maxEvents()}, their tokens (as submitted) reach
 * {@link Rules#maxTokens()}, or the oldest has waited {@link Rules#maxDelayMs()}. It always takes the oldest
 * queued event (so no partition starves behind a hot one), then, of the next {@value #CHOICE_WINDOW} x
 * maxEvents queued, those closest to its length within the token budget (events x longest), so padding stays
 * small. {@link Rules#batchesInFlight()} batches run at once, each on its own thread: filling tensors and
 * post-processing of one overlap the model run of another. A run that fails is retried as {@link EngineFailure}
 * is; the engine itself turns an event that fails alone into a failure outcome.
 *
 * <p>Capacity: at most {@link Rules#maxQueuedEvents()} events are queued or running. A completed event leaves
 * the count before its result is handed back, so results that wait for their task never hold room another task
 * needs. {@link Lane#submit} waits for room up to a given time.
 *
 * <p>When the models fail as a whole ({@link EngineFailure}), the batch goes back to the queue as it was and the
 * scheduler retries after a backoff (200 ms doubling to 10 s), telling its {@link Listener}; results never come
 * back for a failed attempt.
 *
 * <p>Results go home through the callback given to {@link Lane#submit}, called on an inference thread; it must
 * be fast and must not touch Kafka Streams state. A closed lane's queued events are dropped and its running
 * events' callbacks are not called. Thread-safe. {@link #close()} waits for running batches to end; call it
 * after Kafka Streams has stopped and before the models close. Times are {@link System#nanoTime()} only.
 */
public final class BatchScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);
    /** Inference threads are named this plus their number. */
    public static final String THREAD_NAME_PREFIX = "enricher-inference-";
    static final long FIRST_BACKOFF_MS = 200;
    static final long MAX_BACKOFF_MS = 10_000;
    /** Queued events a batch is chosen from, as a multiple of {@link Rules#maxEvents()}. */
    private static final int CHOICE_WINDOW = 4;

    /**
     * @param maxEvents events per batch
     * @param maxTokens padded tokens per batch (events x longest), as submitted
     * @param maxDelayMs longest wait of the oldest queued event before its batch closes
     * @param batchesInFlight batches running at once
     * @param maxQueuedEvents events queued or running at once
     */
    public record Rules(int maxEvents, long maxTokens, long maxDelayMs, int batchesInFlight, int maxQueuedEvents) {
        public Rules {
            if (maxEvents < 1 || maxTokens < 1 || maxDelayMs < 0 || batchesInFlight < 1 || maxQueuedEvents < 1) {
                throw new IllegalArgumentException("batch rules must be positive (delay at least 0): " + this);
            }
        }
    }

    /** Enriches a batch in order, or throws {@link EngineFailure}; {@code startMillis} as in the engine. */
    @FunctionalInterface
    public interface Runner {
        List<Outcome> enrich(List<Event> batch, long startMillis);
    }

    /** What the scheduler reports; called on inference threads, must be fast and must not throw. */
    public interface Listener {
        Listener NONE = new Listener() { };

        /** A batch of {@code events} ran. */
        default void batch(int events) { }

        /** The models failed as a whole; the batch is retried after {@code backoffMs}. */
        default void failing(String cause, long backoffMs) { }

        /** The models work again after failing. */
        default void recovered() { }
    }

    /** Where one owner (a task) submits its events; called by one thread at a time. */
    public final class Lane {
        private final String owner;
        private volatile boolean open = true;

        private Lane(String owner) {
            this.owner = owner;
        }

        /**
         * Queues an event; {@code done} gets its outcome, on an inference thread, unless the lane was closed.
         *
         * @param tokens tokens of the event as the models will see them (special tokens included), or an estimate
         * @param waitMs how long to wait for room, at most
         * @return false when there was no room in time, or the scheduler is closed (the event was not queued)
         */
        public boolean submit(Event event, long tokens, Consumer<Outcome> done, long waitMs)
                throws InterruptedException {
            if (!open) {
                throw new IllegalStateException("lane of " + owner + " is closed");
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
            lock.lock();
            try {
                if (closed) {
                    return false;
                }
                while (held >= rules.maxQueuedEvents()) {
                    long left = deadline - System.nanoTime();
                    if (closed || left <= 0) {
                        return false;
                    }
                    room.awaitNanos(left);
                }
                queue.add(new Job(this, event, Math.max(1, tokens), System.nanoTime(), nextOrder++, done));
                queuedTokens += Math.max(1, tokens);
                held++;
                // a waiting inference thread needs waking only for a new oldest event (a new deadline) or a batch
                // that can close now; otherwise it wakes at the oldest event's deadline by itself
                if (queue.size() == 1 || closable()) {
                    work.signal();
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** Drops this lane's queued events; results of its running events are not handed back. Idempotent. */
        public void close() {
            open = false;
            lock.lock();
            try {
                int before = queue.size();
                queue.removeIf(j -> {
                    if (j.lane() == this) {
                        queuedTokens -= j.tokens();
                        return true;
                    }
                    return false;
                });
                held -= before - queue.size();
                room.signalAll();
            } finally {
                lock.unlock();
            }
        }

        public String owner() {
            return owner;
        }
    }

    /** @param queuedNanos when it was queued, on {@link System#nanoTime()} */
    private record Job(Lane lane, Event event, long tokens, long queuedNanos, long order, Consumer<Outcome> done) {}

    private final Rules rules;
    private final Runner runner;
    private final Listener listener;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when events are queued, a backoff ends or the scheduler closes. */
    private final Condition work = lock.newCondition();
    /** Signalled when events leave the count. */
    private final Condition room = lock.newCondition();
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder discarded = new LongAdder();
    /** In submission order; guarded by {@code lock}, as are the fields below. */
    private final List<Job> queue = new ArrayList<>();
    private long queuedTokens;
    private int held;
    private long nextOrder;
    private long retryAtNanos;
    private long backoffMs;
    private boolean closed;

    public BatchScheduler(Rules rules, Runner runner, Listener listener) {
        this.rules = rules;
        this.runner = runner;
        this.listener = listener;
        for (int i = 0; i < rules.batchesInFlight(); i++) {
            Thread t = new Thread(this::work, THREAD_NAME_PREFIX + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    public Rules rules() {
        return rules;
    }

    /** A new lane for {@code owner} (a task id, for logs). */
    public Lane lane(String owner) {
        return new Lane(owner);
    }

    /** Events queued or running. */
    public int held() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /** True when an event could be queued now without waiting. */
    public boolean hasRoom() {
        lock.lock();
        try {
            return !closed && held < rules.maxQueuedEvents();
        } finally {
            lock.unlock();
        }
    }

    /** Events waiting for a batch. */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Events in batches that are running. */
    public int running() {
        lock.lock();
        try {
            return held - queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Results not handed back since start because their lane had closed (a task revoked or closed mid-batch). */
    public long discarded() {
        return discarded.sum();
    }

    private void work() {
        try {
            while (true) {
                List<Job> batch = nextBatch();
                if (batch == null) {
                    return;
                }
                run(batch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until a batch closes and takes it from the queue; null once closed. */
    private List<Job> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    return null;
                }
                long now = System.nanoTime();
                long wait;
                if (backoffMs > 0 && now - retryAtNanos < 0) {
                    wait = retryAtNanos - now;
                } else if (queue.isEmpty()) {
                    wait = Long.MAX_VALUE;
                } else {
                    long dueAt = queue.get(0).queuedNanos() + TimeUnit.MILLISECONDS.toNanos(rules.maxDelayMs());
                    if (closable() || now - dueAt >= 0) {
                        List<Job> batch = take();
                        if (!queue.isEmpty()) {
                            work.signal();
                        }
                        return batch;
                    }
                    wait = dueAt - now;
                }
                if (wait == Long.MAX_VALUE) {
                    work.await();
                } else {
                    work.awaitNanos(wait);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** True when the queued events fill a batch by count or tokens; call holding {@code lock}. */
    private boolean closable() {
        return queue.size() >= rules.maxEvents() || queuedTokens >= rules.maxTokens();
    }

    /** The oldest queued job and those nearest its length within the budget, in submission order. */
    private List<Job> take() {
        Job oldest = queue.get(0);
        int window = (int) Math.min(queue.size(), (long) rules.maxEvents() * CHOICE_WINDOW);
        List<Job> candidates = new ArrayList<>(queue.subList(1, window));
        candidates.sort(Comparator.comparingLong((Job j) -> Math.abs(j.tokens() - oldest.tokens()))
                .thenComparingLong(Job::order));
        List<Job> batch = new ArrayList<>();
        batch.add(oldest);
        long longest = oldest.tokens();
        for (Job j : candidates) {
            if (batch.size() >= rules.maxEvents()) {
                break;
            }
            long next = Math.max(longest, j.tokens());
            if (next * (batch.size() + 1) > rules.maxTokens()) {
                continue;
            }
            batch.add(j);
            longest = next;
        }
        batch.sort(Comparator.comparingLong(Job::order));
        Set<Job> taken = Collections.newSetFromMap(new IdentityHashMap<>());
        taken.addAll(batch);
        queue.subList(0, window).removeIf(taken::contains);
        batch.forEach(j -> queuedTokens -= j.tokens());
        return batch;
    }

    /**
     * Runs a batch and hands its outcomes back; on any failure of the run the batch goes back to the queue, so
     * every event either gets its outcome or runs again (the engine turns a bad event into a failure outcome).
     */
    private void run(List<Job> batch) {
        long startNanos = System.nanoTime();
        long startMillis = batch.get(0).event().arrivalMillis() + waitedMs(batch.get(0), startNanos);
        List<Event> events = rebased(batch, startNanos, startMillis);
        List<Outcome> outcomes;
        try {
            outcomes = runner.enrich(events, startMillis);
            if (outcomes.size() != batch.size()) {
                throw new IllegalStateException(outcomes.size() + " outcomes for a batch of " + batch.size());
            }
        } catch (EngineFailure e) {
            requeue(batch, e);
            return;
        } catch (RuntimeException | Error e) {
            LOG.error("a batch of {} events failed outside the models; retrying it", batch.size(), e);
            requeue(batch, new EngineFailure(e.toString(), e));
            return;
        }
        lock.lock();
        try {
            held -= batch.size();
            room.signalAll();
            if (backoffMs > 0) {
                backoffMs = 0;
                LOG.info("the models work again");
                listener.recovered();
            }
        } finally {
            lock.unlock();
        }
        listener.batch(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Job j = batch.get(i);
            if (j.lane().open) {
                j.done().accept(outcomes.get(i));
            } else {
                discarded.increment();
            }
        }
    }

    /**
     * The events with arrival times restated on the first one's clock (each task stamps arrivals on its own
     * context's clock, never compared with another): an event arrived when it was queued here.
     */
    private static List<Event> rebased(List<Job> batch, long startNanos, long start) {
        List<Event> out = new ArrayList<>(batch.size());
        for (Job j : batch) {
            Event e = j.event();
            out.add(new Event(e.id(), e.text(), e.sourceTopic(), e.sourcePartition(), e.sourceOffset(), e.recordTime(),
                    e.eventTime(), e.metadata(), start - waitedMs(j, startNanos), e.tokens()));
        }
        return out;
    }

    private static long waitedMs(Job j, long nowNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(nowNanos - j.queuedNanos()));
    }

    private void requeue(List<Job> batch, EngineFailure failure) {
        lock.lock();
        try {
            // batches that ran together after one backoff fail together: the backoff doubles once for them
            if (backoffMs == 0 || System.nanoTime() - retryAtNanos >= 0) {
                backoffMs = backoffMs == 0 ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
                retryAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
            }
            for (Job j : batch) {
                if (j.lane().open) {
                    queue.add(j);
                    queuedTokens += j.tokens();
                } else {
                    held--;
                    discarded.increment();
                }
            }
            queue.sort(Comparator.comparingLong(Job::order));
            room.signalAll();
            LOG.warn("{} events kept, retrying in {} ms: {}", batch.size(), backoffMs, failure.getMessage());
            listener.failing(failure.getMessage(), backoffMs);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the inference threads after their running batches, and returns only once they have ended (an
     * interrupt is kept for after), so the models can be closed next; queued events are dropped. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
