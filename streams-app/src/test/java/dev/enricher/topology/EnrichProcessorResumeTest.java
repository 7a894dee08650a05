package dev.enricher.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.PendingEvent;
import dev.enricher.batching.BatchScheduler;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.InProcessSchemaRegistry;
import dev.enricher.serde.PendingEventSerde;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One processor instance suspended and resumed, as Kafka Streams does on a rebalance that gives the task back
 * ({@code close()}, then {@code init()} again on the same instance), under at_least_once: events a commit has
 * followed are not enriched again; events forwarded since the last commit are (at least once).
 */
class EnrichProcessorResumeTest {
    /** The context's wall clock, fixed: batches close on the scheduler's own clock. */
    private static final long NOW = java.time.Instant.parse("2026-11-28T10:00:00Z").toEpochMilli();
    private final Stalls stalls = new Stalls();
    private final CommitCountingStore.Commits commits = new CommitCountingStore.Commits();
    private EnrichmentEngine engine;
    private BatchScheduler scheduler;
    private MockProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, PendingEvent> store;
    private EnrichProcessor processor;

    @BeforeEach
    void start() {
        EnricherConfig config = new EnricherConfig(Map.of(EnricherConfig.INPUT_TOPICS, "events",
                EnricherConfig.INPUT_FORMAT, "text",
                EnricherConfig.CLASSIFIER_MODEL_DIR, TestModels.bundle(TestModels.SENTIMENT).toString(),
                EnricherConfig.BATCH_MAX_DELAY_MS, 10));
        engine = dev.enricher.app.EnricherServiceAccess.openEngine(config);
        scheduler = EnricherTopology.scheduler(config, engine, ProcessingMetrics.NONE, stalls);
        context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(NOW);
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(EnricherTopology.PENDING_STORE), Serdes.Long(),
                new PendingEventSerde()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        processor = new EnrichProcessor(engine, scheduler, new InputDecoder(EnricherConfig.InputFormat.TEXT, "text",
                "id", 10_000, null), List.of(), new EnrichProcessor.WriteRules(1 << 20, true), 5,
                new ConfluentAvro.AvroSerializer<EnrichedEvent>(new InProcessSchemaRegistry(),
                        EnrichedEvent.getClassSchema()), "out", ProcessingMetrics.NONE, stalls, commits);
    }

    @AfterEach
    void stop() {
        scheduler.close();
        engine.close();
    }

    private void processTexts(String... texts) {
        for (int i = 0; i < texts.length; i++) {
            context.setRecordMetadata("events", 0, i);
            processor.process(new Record<>(null, texts[i].getBytes(StandardCharsets.UTF_8), 0L));
        }
    }

    /** Fires the latest wall-clock punctuation until {@code n} records were forwarded; fails after 30 s. */
    private void awaitForwarded(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (context.forwarded().size() < n) {
            assertTrue(System.nanoTime() < deadline, "forwarded " + context.forwarded().size() + " of " + n);
            punctuate();
            Thread.sleep(2);
        }
    }

    private int stored() {
        int n = 0;
        try (var it = store.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    /** Fires the punctuation for a while, giving anything handed over time to come back. */
    private void punctuateFor(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() - end < 0) {
            punctuate();
            Thread.sleep(5);
        }
    }

    /** Fires the punctuation the latest {@code init} scheduled. */
    private void punctuate() {
        var punctuators = context.scheduledPunctuators();
        punctuators.get(punctuators.size() - 1).getPunctuator().punctuate(NOW);
    }

    @Test
    void eventsACommitHasFollowedAreNotEnrichedAgainAfterAResume() throws Exception {
        processor.init(context);
        processTexts("first", "second");
        awaitForwarded(2);
        assertEquals(2, stored(), "at_least_once: kept until a commit has followed their outputs");
        commits.of(context.taskId()).incrementAndGet();
        processor.close();
        assertEquals(0, stored(), "deleted at close: Kafka Streams committed before suspending the task");
        context.resetForwards();
        processor.init(context);
        punctuateFor(300);
        assertEquals(0, context.forwarded().size(), "nothing enriched twice after the resume");
    }

    @Test
    void eventsForwardedSinceTheLastCommitAreEnrichedAgainAfterAResume() throws Exception {
        processor.init(context);
        processTexts("first", "second");
        awaitForwarded(2);
        processor.close();
        assertEquals(2, stored(), "no commit followed their outputs: they stay");
        context.resetForwards();
        processor.init(context);
        awaitForwarded(2);
        punctuateFor(100);
        assertEquals(2, context.forwarded().size(), "both written again, once each: at least once");
    }
}
