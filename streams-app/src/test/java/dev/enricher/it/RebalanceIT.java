package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A second instance joins while the first holds pending batches: partitions move, nothing is lost. */
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

    static void awaitRunning(EnricherService service) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (service.state() != KafkaStreams.State.RUNNING && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(KafkaStreams.State.RUNNING, service.state());
    }
}
