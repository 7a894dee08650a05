package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.enricher.app.EnricherService;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.InProcessSchemaRegistry;
import dev.enricher.topology.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Bad input on a real broker: invalid JSON, a missing text field, non-UTF-8 bytes, a 1 MB text and a null value
 * go to the dead-letter topic with their reason; an empty text is enriched; processing goes on.
 */
class BadInputIT {

    @Test
    void badRecordsAreDeadLetteredAndTheStreamGoesOn() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("bad-input");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        String oneMegabyte = "{\"id\":\"big\",\"text\":\"" + "spam ".repeat(200_000) + "\"}";
        byte[][] values = {
            "{\"id\":\"a\",\"text\":\"first good event\"}".getBytes(StandardCharsets.UTF_8),
            "{this is not json".getBytes(StandardCharsets.UTF_8),
            "{\"id\":\"b\",\"body\":\"no text field\"}".getBytes(StandardCharsets.UTF_8),
            {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xff, (byte) 0xfe, '"', '}'},
            "{\"id\":\"empty\",\"text\":\"\"}".getBytes(StandardCharsets.UTF_8),
            oneMegabyte.getBytes(StandardCharsets.UTF_8),
            null,
            "{\"id\":\"z\",\"text\":\"last good event\"}".getBytes(StandardCharsets.UTF_8),
        };
        List<String> expectedReasons = List.of("deserialization", "validation", "deserialization", "oversize", "validation");
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (byte[] v : values) {
                producer.send(new ProducerRecord<>(prefix + "-in", "k".getBytes(StandardCharsets.UTF_8), v)).get();
            }
            Map<String, Integer> out = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(60),
                    counts -> counts.size() >= 3);
            assertEquals(Map.of("a", 1, "empty", 1, "z", 1), out);
            List<String> reasons = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KafkaTestSupport.consumerProps("it-dlq"))) {
                consumer.subscribe(List.of(prefix + "-dlq"));
                long deadline = System.currentTimeMillis() + 60_000;
                while (reasons.size() < expectedReasons.size() && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        reasons.add(DeadLetters.header(r.headers(), DeadLetters.REASON_HEADER));
                        System.out.println("bad input -> dead letter: " + DeadLetters.header(r.headers(),
                                DeadLetters.REASON_HEADER) + " (" + (r.value() == null ? "null" : r.value().length + " bytes")
                                + ", offset " + DeadLetters.header(r.headers(), DeadLetters.OFFSET_HEADER) + "): "
                                + DeadLetters.header(r.headers(), DeadLetters.MESSAGE_HEADER));
                    }
                }
            }
            assertEquals(expectedReasons, reasons);
        }
    }
}
