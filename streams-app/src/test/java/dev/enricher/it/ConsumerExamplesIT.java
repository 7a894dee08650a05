package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.config.EnricherConfig;
import dev.enricher.examples.ConsumeEnriched;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java consumer example of docs/examples decodes the service's output through a real registry. */
class ConsumerExamplesIT {
    static ApicurioRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = ApicurioRegistry.start();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void theJavaExampleDecodesEveryRecordWithItsKey() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("example");
        KafkaTestSupport.broker().createTopics(2, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.SCHEMA_REGISTRY_URL, registry.url());
        int events = 10;
        try (EnricherService service = EnricherService.create(new EnricherConfig(props));
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (int i = 0; i < events; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "key-" + i, i);
            }
            producer.flush();
            Map<String, String> idsByKey = new TreeMap<>();
            int read = new ConsumeEnriched(registry.url()).consume(KafkaTestSupport.broker().bootstrapServers(),
                    prefix + "-out", "example-it", events, Duration.ofSeconds(90),
                    (key, value) -> idsByKey.put(key, value.get("id").toString()));
            System.out.println("Java consumer example: " + read + " records decoded through the registry, keys "
                    + idsByKey.keySet());
            assertEquals(events, read);
            assertEquals(events, idsByKey.size());
            for (int i = 0; i < events; i++) {
                // KafkaTestSupport.produce uses the key as the event id: the output keeps the input's key
                assertEquals("key-" + i, idsByKey.get("key-" + i), "record keyed key-" + i);
            }
        }
    }
}
