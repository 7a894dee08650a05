package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A second instance joins while the first holds pending or running batches: partitions move, nothing is lost. */
class RebalanceIT {
    static final int EVENTS = 2_000;

    @ParameterizedTest
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void aJoiningInstanceTakesOverPendingEventsWithoutLoss(String guarantee) throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("rebalance-" + guarantee.replace('_', '-'));
        KafkaTestSupport.broker().createTopics(4, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, guarantee);
        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, 15_000);
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 4000);
        // the scheduler gathers all partitions' events: a budget above their tokens leaves only the delay
        props.put(EnricherConfig.BATCH_MAX_TOKENS, 1_000_000);
        Map<String, Object> second = new java.util.HashMap<>(props);
        second.put(EnricherConfig.STATE_DIR, Files.createTempDirectory("enricher-it-state-b").toString());
        try (EnricherService a = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            a.start();
            awaitRunning(a);
            for (int i = 0; i < EVENTS; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
            producer.flush();
            Thread.sleep(1000);
            long enrichedBeforeJoin = a.engine().events();
            try (EnricherService b = EnricherService.create(new EnricherConfig(second), new InProcessSchemaRegistry())) {
                b.start();
                Map<String, Integer> seen = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(120),
                        counts -> counts.size() >= EVENTS);
                long duplicates = seen.values().stream().filter(c -> c > 1).count();
                System.out.printf("rebalance (%s): produced=%d enriched_before_join=%d by_first=%d by_second=%d "
                        + "distinct_out=%d duplicates=%d%n", guarantee, EVENTS, enrichedBeforeJoin, a.engine().events(),
                        b.engine().events(), seen.size(), duplicates);
                assertTrue(enrichedBeforeJoin < EVENTS, "events were pending when the second instance joined");
                assertTrue(b.engine().events() > 0, "the second instance took over some pending events");
                for (int i = 0; i < EVENTS; i++) {
                    assertTrue(seen.containsKey("id-" + i), "id-" + i + " is in the output");
                }
                if (guarantee.equals("exactly_once_v2")) {
                    assertEquals(0, duplicates);
                }
            }
        }
    }

    /**
     * Readiness through a rebalance: the running instance stays ready while a second one joins (it rebalances),
     * and the joining one is not ready until its first assignment is done. Both sampled every 2 ms.
     */
    @org.junit.jupiter.api.Test
    void aRebalanceKeepsARunningInstanceReadyAndAJoiningOneIsReadyOnlyOnceRunning() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("ready-rebalance");
        KafkaTestSupport.broker().createTopics(4, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        Map<String, Object> second = new java.util.HashMap<>(props);
        second.put(EnricherConfig.STATE_DIR, Files.createTempDirectory("enricher-it-state-b").toString());
        try (EnricherService a = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry())) {
            a.start();
            awaitRunning(a);
            assertTrue(a.ready());
            int aRebalancing = 0;
            int aRebalancingReady = 0;
            int bBeforeRunning = 0;
            int bBeforeRunningReady = 0;
            try (EnricherService b = EnricherService.create(new EnricherConfig(second), new InProcessSchemaRegistry())) {
                b.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                boolean bRan = false;
                while (System.nanoTime() < deadline && !(bRan && a.state() == KafkaStreams.State.RUNNING)) {
                    KafkaStreams.State aState = a.state();
                    boolean aReady = a.ready();
                    if (aState == KafkaStreams.State.REBALANCING) {
                        aRebalancing++;
                        aRebalancingReady += aReady ? 1 : 0;
                    }
                    bRan |= b.state() == KafkaStreams.State.RUNNING;
                    if (!bRan) {
                        bBeforeRunning++;
                        bBeforeRunningReady += b.ready() ? 1 : 0;
                    }
                    Thread.sleep(2);
                }
                System.out.printf("readiness through a rebalance: first instance REBALANCING in %d samples, ready in "
                                + "%d of them; joining instance before its first RUNNING: %d samples, ready in %d%n",
                        aRebalancing, aRebalancingReady, bBeforeRunning, bBeforeRunningReady);
                assertTrue(bRan, "the joining instance reached RUNNING within 60 s");
                assertTrue(aRebalancing > 0, "the first instance was seen rebalancing");
                assertEquals(aRebalancing, aRebalancingReady, "ready all through its rebalance");
                assertTrue(bBeforeRunning > 0);
                assertEquals(0, bBeforeRunningReady, "not ready before its first assignment completes");
                assertTrue(a.ready() && b.ready());
            }
        }
    }

    /**
     * The first instance's models take 300 ms a call, so its scheduler always has a batch running; the second
     * joins in the middle of one. The revoked tasks' results still in the scheduler are dropped, never forwarded,
     * and the new owner restores and enriches those events.
     */
    @ParameterizedTest
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void partitionsMovingWhileTheirBatchRunsLoseNothingAndForwardNothingTwice(String guarantee) throws Exception {
        int events = 600;
        String prefix = KafkaTestSupport.uniquePrefix("inflight-" + guarantee.replace('_', '-'));
        KafkaTestSupport.broker().createTopics(6, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, guarantee);
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 24);
        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, 20);
        Map<String, Object> second = new java.util.HashMap<>(props);
        second.put(EnricherConfig.STATE_DIR, Files.createTempDirectory("enricher-it-state-b").toString());
        UnaryOperator<EnrichmentEngine.Inference> slow = models -> texts -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return models.predict(texts);
        };
        try (EnricherService a = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry(), slow);
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            a.start();
            awaitRunning(a);
            for (int i = 0; i < events; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
            producer.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (a.scheduler().running() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            int runningAtJoin = a.scheduler().running();
            try (EnricherService b = EnricherService.create(new EnricherConfig(second), new InProcessSchemaRegistry())) {
                b.start();
                Map<String, Integer> seen = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(180),
                        counts -> counts.size() >= events);
                long duplicates = seen.values().stream().filter(c -> c > 1).count();
                long missing = java.util.stream.IntStream.range(0, events)
                        .filter(i -> !seen.containsKey("id-" + i)).count();
                System.out.printf("rebalance with batches in flight (%s): produced=%d running_at_join=%d "
                        + "results_discarded_by_first=%d by_first=%d by_second=%d distinct_out=%d missing=%d "
                        + "duplicates=%d%n", guarantee, events, runningAtJoin, a.scheduler().discarded(),
                        a.engine().events(), b.engine().events(), seen.size(), missing, duplicates);
                assertTrue(runningAtJoin > 0, "a batch was running when the second instance joined");
                assertTrue(a.scheduler().discarded() > 0, "results of revoked tasks were dropped, not forwarded");
                assertTrue(b.engine().events() > 0, "the second instance enriched events it took over");
                assertEquals(0, missing, "every input id is in the output");
                if (guarantee.equals("exactly_once_v2")) {
                    assertEquals(0, duplicates, "exactly once under exactly_once_v2");
                }
            }
        }
    }

    static void awaitRunning(EnricherService service) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (service.state() != KafkaStreams.State.RUNNING && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(KafkaStreams.State.RUNNING, service.state());
    }
}
