package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;

/**
 * The process-wide batch scheduler on the real broker with a capacity of two events for 24 partitions and two
 * stream threads: every task waits for room in turn, none waits on another's unforwarded results, every event
 * comes out once and each partition's results keep their input order.
 */
class BatchSchedulerIT {

    @Test
    void aTinyCapacityForManyPartitionsNeitherDeadlocksNorReorders() throws Exception {
        int events = 600;
        String prefix = KafkaTestSupport.uniquePrefix("tiny-capacity");
        KafkaTestSupport.broker().createTopics(24, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 2);
        props.put(EnricherConfig.BATCH_MAX_QUEUED_EVENTS, 2);
        props.put(EnricherConfig.NUM_STREAM_THREADS, 2);
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            RebalanceIT.awaitRunning(service);
            for (int i = 0; i < events; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
            producer.flush();
            List<ConsumerRecord<byte[], byte[]>> out = KafkaTestSupport.readRecords(prefix + "-out", events,
                    Duration.ofSeconds(120));
            var deserializer = new ConfluentAvro.AvroDeserializer<EnrichedEvent>(
                    new KafkaTestSupport.SchemaIdAgnosticRegistry(), EnrichedEvent.getClassSchema());
            Map<String, Integer> seen = new HashMap<>();
            Map<Integer, Long> lastOffset = new HashMap<>();
            int outOfOrder = 0;
            for (ConsumerRecord<byte[], byte[]> r : out) {
                EnrichedEvent e = deserializer.deserialize(r.topic(), r.value());
                seen.merge(e.getId(), 1, Integer::sum);
                Long previous = lastOffset.put(e.getSourcePartition(), e.getSourceOffset());
                if (previous != null && previous >= e.getSourceOffset()) {
                    outOfOrder++;
                }
            }
            System.out.printf("tiny capacity: produced=%d partitions=24 stream_threads=2 capacity=2 out=%d "
                    + "distinct=%d out_of_order=%d%n", events, out.size(), seen.size(), outOfOrder);
            assertEquals(events, out.size(), "every event once");
            assertEquals(events, seen.size());
            assertEquals(0, outOfOrder, "each partition's results in input order");
            assertTrue(lastOffset.size() > 12, "the events spread over the partitions: " + lastOffset.keySet());
            assertEquals(0, service.scheduler().held(), "nothing left in the scheduler");
        }
    }
}
