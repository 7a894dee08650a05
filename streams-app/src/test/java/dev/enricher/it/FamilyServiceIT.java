package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.TestModels;
import dev.enricher.app.EnricherService;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.Entity;
import dev.enricher.avro.LabelScore;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each tokenizer family's export folders, unchanged, in the running service on a real broker: every reference
 * text in, each enriched record equal to what the transformers 5.17 pipelines answered (classifier with its
 * default function, entities with aggregation first and stride 16, as the reference recorded them).
 */
class FamilyServiceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STRIDE = 16;

    static Stream<List<String>> families() {
        return TestModels.FAMILIES.stream();
    }

    @ParameterizedTest
    @MethodSource("families")
    void exportFoldersOfEveryFamilyRunUnchanged(List<String> bundles) throws Exception {
        String classifier = bundles.get(0);
        String ner = bundles.get(1);
        String family = ner.substring(0, ner.length() - "-ner".length());
        JsonNode classes = TestModels.familyGolden(classifier);
        JsonNode entities = TestModels.familyGolden(ner);
        int events = entities.get("cases").size();
        String prefix = KafkaTestSupport.uniquePrefix("family-" + family);
        KafkaTestSupport.broker().createTopics(2, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, TestModels.bundle("families/" + classifier).toString());
        props.put(EnricherConfig.NER_MODEL_DIR, TestModels.bundle("families/" + ner).toString());
        props.put(EnricherConfig.NER_AGGREGATION, "first");
        props.put(EnricherConfig.NER_STRIDE, STRIDE);
        try (EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            service.start();
            for (int i = 0; i < events; i++) {
                String id = "case-" + i;
                String event = JSON.writeValueAsString(JSON.createObjectNode().put("id", id)
                        .put("text", entities.get("cases").get(i).get("text").asText()));
                producer.send(new ProducerRecord<>(prefix + "-in", id.getBytes(StandardCharsets.UTF_8),
                        event.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            List<ConsumerRecord<byte[], byte[]>> out = KafkaTestSupport.readRecords(prefix + "-out", events,
                    Duration.ofSeconds(120));
            var deserializer = new ConfluentAvro.AvroDeserializer<EnrichedEvent>(
                    new KafkaTestSupport.SchemaIdAgnosticRegistry(), EnrichedEvent.getClassSchema());
            int entityLists = 0;
            int otherStride = 0;
            for (ConsumerRecord<byte[], byte[]> r : out) {
                EnrichedEvent e = deserializer.deserialize(r.topic(), r.value());
                int i = Integer.parseInt(e.getId().substring("case-".length()));
                JsonNode nerCase = entities.get("cases").get(i);
                JsonNode classCase = classes.get("cases").get(i);
                assertEquals(nerCase.get("text").asText(), classCase.get("text").asText(), "same reference texts");
                String where = family + " case " + i;
                assertEquals(1, e.getClassifications().size(), where);
                assertScores(classCase.get("pipeline").get("default"), e.getClassifications().get(0).getScores(), where);
                JsonNode expected = !nerCase.has("stride") ? nerCase.get("pipeline").get("first")
                        : nerCase.get("stride").asInt() == STRIDE ? nerCase.get("pipeline_stride").get("first") : null;
                if (expected == null) {
                    otherStride++;
                    continue;
                }
                assertEntities(expected, e.getEntities(), where);
                entityLists++;
            }
            System.out.printf("family %s: %s + %s, %d events, %d records out, classifications equal %d, entity "
                    + "lists equal %d (%d long texts recorded with another stride)%n", family, classifier, ner,
                    events, out.size(), out.size(), entityLists, otherStride);
            assertEquals(events, out.size(), "every reference text enriched once");
            assertTrue(entityLists > events / 2, "most entity lists compared");
        }
    }

    private static void assertScores(JsonNode expected, List<LabelScore> actual, String where) {
        assertEquals(expected.size(), actual.size(), where + " labels");
        for (int k = 0; k < actual.size(); k++) {
            assertEquals(expected.get(k).get("label").asText(), actual.get(k).getLabel(), where + " rank " + k);
            assertEquals(expected.get(k).get("score").asDouble(), actual.get(k).getScore(), 1e-4, where + " score");
        }
    }

    private static void assertEntities(JsonNode expected, List<Entity> actual, String where) {
        assertEquals(expected.size(), actual.size(), where + " entities: expected " + expected + " got " + actual);
        for (int k = 0; k < actual.size(); k++) {
            JsonNode x = expected.get(k);
            Entity a = actual.get(k);
            String at = where + " entity " + k;
            assertEquals(x.get("entity_group").asText(), a.getEntityGroup(), at);
            assertEquals(x.get("word").asText(), a.getWord(), at);
            assertEquals(x.get("start").asInt(), a.getStartOffset(), at);
            assertEquals(x.get("end").asInt(), a.getEndOffset(), at);
            assertEquals(x.get("score").asDouble(), a.getScore(), 1e-4, at);
        }
    }
}
