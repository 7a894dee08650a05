package dev.enricher.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.engine.EnrichmentEngine.EngineFailure;
import dev.enricher.engine.EnrichmentEngine.Event;
import dev.enricher.engine.EnrichmentEngine.Outcome;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's rules with a runner that records its batches (its outcome for an event is the event's id as a
 * failure message, so results can be matched): budget, delay, length grouping, fairness, capacity, revocation and
 * failing models.
 */
class BatchSchedulerTest {
    private static final long LONG_DELAY_MS = 60_000;

    /** Records batches; blocks each batch while {@code gate} has no permit when gated. */
    private static final class Recorder implements BatchScheduler.Runner {
        final List<List<String>> batches = new CopyOnWriteArrayList<>();
        final Semaphore gate = new Semaphore(0);
        final CountDownLatch firstStarted = new CountDownLatch(1);
        volatile boolean gated;
        final AtomicInteger failuresLeft = new AtomicInteger();

        @Override
        public List<Outcome> enrich(List<Event> batch, long startMillis) {
            firstStarted.countDown();
            if (gated) {
                gate.acquireUninterruptibly();
            }
            if (failuresLeft.getAndDecrement() > 0) {
                throw new EngineFailure("the models fail on every input", null);
            }
            batches.add(batch.stream().map(Event::id).toList());
            return batch.stream().map(e -> new Outcome(null, e.id())).toList();
        }
    }

    private final Recorder runner = new Recorder();
    private final Map<String, String> results = new ConcurrentHashMap<>();
    private BatchScheduler scheduler;

    private BatchScheduler start(int maxEvents, long maxTokens, long delayMs, int maxQueued) {
        scheduler = new BatchScheduler(new BatchScheduler.Rules(maxEvents, maxTokens, delayMs, 1, maxQueued), runner,
                BatchScheduler.Listener.NONE);
        return scheduler;
    }

    @AfterEach
    void stop() {
        runner.gate.release(1000);
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private static Event event(String id) {
        return new Event(id, "text of " + id, "t", 0, 0, 0, null, null, 0);
    }

    private void submit(BatchScheduler.Lane lane, String id, long tokens) throws InterruptedException {
        assertTrue(lane.submit(event(id), tokens, o -> results.put(id, o.failure()), 1_000), "room for " + id);
    }

    private void awaitResults(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (results.size() < n) {
            assertTrue(System.nanoTime() < deadline, "timed out: " + results.size() + " of " + n + " results");
            Thread.sleep(1);
        }
    }

    /** Holds the single inference thread in a first batch so that the queue can be filled at leisure. */
    private void blockOnFirstBatch(BatchScheduler.Lane lane, int maxEvents) throws InterruptedException {
        runner.gated = true;
        for (int i = 0; i < maxEvents; i++) {
            submit(lane, "blocker" + i, 10);
        }
        assertTrue(runner.firstStarted.await(30, TimeUnit.SECONDS));
    }

    @Test
    void aBatchClosesWhenFullAndOtherwiseWhenItsOldestHasWaitedTheDelay() throws Exception {
        BatchScheduler.Lane lane = start(4, 10_000, LONG_DELAY_MS, 100).lane("task 0_0");
        for (int i = 0; i < 5; i++) {
            submit(lane, "e" + i, 10);
        }
        awaitResults(4);
        Thread.sleep(200);
        assertEquals(List.of(List.of("e0", "e1", "e2", "e3")), runner.batches, "full at 4; the fifth waits");
        assertEquals(1, scheduler.held());
        scheduler.close();

        results.clear();
        runner.batches.clear();
        BatchScheduler.Lane quick = start(4, 10_000, 30, 100).lane("task 0_0");
        submit(quick, "alone", 10);
        awaitResults(1);
        assertEquals(List.of(List.of("alone")), runner.batches, "closed by its 30 ms delay");
    }

    @Test
    void aBatchClosesOnItsTokenBudgetAndNeverPadsBeyondIt() throws Exception {
        BatchScheduler.Lane lane = start(100, 200, LONG_DELAY_MS, 100).lane("task 0_0");
        submit(lane, "a", 77);
        submit(lane, "b", 77);
        Thread.sleep(100);
        assertTrue(runner.batches.isEmpty(), "154 tokens: under the budget, and the delay is long");
        submit(lane, "c", 77);
        awaitResults(2);
        assertEquals(List.of(List.of("a", "b")), runner.batches, "231 tokens queued close a batch; 2 x 77 fit in 200");
    }

    @Test
    void batchesGroupEventsOfSimilarLengthAroundTheOldest() throws Exception {
        BatchScheduler.Lane lane = start(2, 10_000, LONG_DELAY_MS, 100).lane("task 0_0");
        blockOnFirstBatch(lane, 2);
        submit(lane, "short1", 10);
        submit(lane, "long1", 100);
        submit(lane, "short2", 12);
        submit(lane, "long2", 98);
        runner.gated = false;
        runner.gate.release(1);
        awaitResults(6);
        assertEquals(List.of(List.of("blocker0", "blocker1"), List.of("short1", "short2"), List.of("long1", "long2")),
                runner.batches);
    }

    @Test
    void theOldestEventIsInTheNextBatchWhateverAHotPartitionQueues() throws Exception {
        BatchScheduler s = start(4, 10_000, LONG_DELAY_MS, 100);
        BatchScheduler.Lane hot = s.lane("task 0_0");
        BatchScheduler.Lane cold = s.lane("task 0_1");
        blockOnFirstBatch(hot, 4);
        submit(cold, "cold", 60);
        for (int i = 0; i < 19; i++) {
            submit(hot, "hot" + i, 10);
        }
        runner.gated = false;
        runner.gate.release(1);
        awaitResults(24);
        assertEquals(List.of("cold", "hot0", "hot1", "hot2"), runner.batches.get(1),
                "the oldest goes first, however different its length");
    }

    @Test
    void aFullSchedulerRefusesAfterTheWaitAndCompletedResultsHoldNoRoom() throws Exception {
        BatchScheduler s = start(2, 10_000, 0, 2);
        BatchScheduler.Lane lane = s.lane("task 0_0");
        blockOnFirstBatch(lane, 2);
        assertFalse(lane.submit(event("refused"), 10, o -> { }, 50), "2 of 2 running: no room within 50 ms");
        runner.gated = false;
        runner.gate.release(1);
        awaitResults(2);
        assertEquals(0, s.held(), "completed events, unread by their task, hold no room");

        // 48 tasks share a capacity of 2 events; none reads its results until all have submitted
        results.clear();
        List<Thread> tasks = new ArrayList<>();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 48; t++) {
            BatchScheduler.Lane taskLane = s.lane("task 0_" + t);
            int task = t;
            Thread thread = new Thread(() -> {
                try {
                    for (int i = 0; i < 5; i++) {
                        String id = task + "-" + i;
                        while (!taskLane.submit(event(id), 10, o -> results.put(id, o.failure()), 10)) {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            tasks.add(thread);
            thread.start();
        }
        for (Thread t : tasks) {
            t.join(60_000);
        }
        awaitResults(240);
        assertEquals(List.of(), errors);
        assertEquals(240, results.size());
        assertEquals(0, s.held());
    }

    @Test
    void aClosedLaneLosesItsQueuedEventsAndGetsNoResultsWhileOthersGoOn() throws Exception {
        BatchScheduler s = start(2, 10_000, LONG_DELAY_MS, 100);
        BatchScheduler.Lane revoked = s.lane("task 0_0");
        BatchScheduler.Lane kept = s.lane("task 0_1");
        blockOnFirstBatch(revoked, 2);
        submit(revoked, "queued", 10);
        submit(kept, "other1", 10);
        submit(kept, "other2", 10);
        assertEquals(5, s.held());
        revoked.close();
        assertEquals(4, s.held(), "its queued event is dropped at once");
        runner.gated = false;
        runner.gate.release(1);
        awaitResults(2);
        Thread.sleep(100);
        assertEquals(Map.of("other1", "other1", "other2", "other2"), results,
                "the revoked task's running batch gives no results back");
        assertEquals(List.of(List.of("blocker0", "blocker1"), List.of("other1", "other2")), runner.batches,
                "the dropped event never ran");
        assertEquals(0, s.held());
    }

    @Test
    void failingModelsKeepTheBatchAndRetryItWithBackoffUntilTheyRecover() throws Exception {
        List<String> told = new CopyOnWriteArrayList<>();
        runner.failuresLeft.set(2);
        scheduler = new BatchScheduler(new BatchScheduler.Rules(3, 10_000, 0, 1, 100), runner,
                new BatchScheduler.Listener() {
                    @Override
                    public void failing(String cause, long backoffMs) {
                        told.add("failing, retry in " + backoffMs + " ms");
                    }

                    @Override
                    public void recovered() {
                        told.add("recovered");
                    }
                });
        BatchScheduler.Lane lane = scheduler.lane("task 0_0");
        for (int i = 0; i < 3; i++) {
            submit(lane, "e" + i, 10);
        }
        awaitResults(3);
        assertEquals(List.of("failing, retry in 200 ms", "failing, retry in 400 ms", "recovered"), told);
        assertEquals(List.of("e0", "e1", "e2"), runner.batches.stream().flatMap(List::stream).toList(),
                "every event enriched once, in order");
        assertEquals(Map.of("e0", "e0", "e1", "e1", "e2", "e2"), results);
    }
}
