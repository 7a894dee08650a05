package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** 5,000 events through the running service on a real broker: every input id in the output exactly once. */
class ServiceIT {
    static final int EVENTS = 5_000;

    @ParameterizedTest
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void everyEventComesOutExactlyOnceInACleanRun(String guarantee) throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("clean-" + guarantee.replace('_', '-'));
        KafkaTestSupport.broker().createTopics(3, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, guarantee);
        props.put(EnricherConfig.NUM_STREAM_THREADS, 2);
        long start = System.nanoTime();
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (int i = 0; i < EVENTS; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
            producer.flush();
            Map<String, Integer> seen = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(180),
                    counts -> counts.size() >= EVENTS);
            double seconds = (System.nanoTime() - start) / 1e9;
            long duplicates = seen.values().stream().filter(c -> c > 1).count();
            System.out.printf("clean run (%s): produced=%d distinct_out=%d duplicates=%d in %.1f s (%.0f events/s)%n",
                    guarantee, EVENTS, seen.size(), duplicates, seconds, EVENTS / seconds);
            assertEquals(KafkaStreams.State.RUNNING, service.state());
            for (int i = 0; i < EVENTS; i++) {
                assertEquals(1, seen.getOrDefault("id-" + i, 0), "id-" + i + " in the output exactly once");
            }
            assertEquals(EVENTS, seen.size());
            assertTrue(service.engine().events() >= EVENTS);
        }
    }
}
