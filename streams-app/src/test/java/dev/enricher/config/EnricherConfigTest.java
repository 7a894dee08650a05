package dev.enricher.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnricherConfigTest {

    static Map<String, Object> minimal() {
        Map<String, Object> props = new HashMap<>();
        props.put(EnricherConfig.INPUT_TOPICS, "in");
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, "/models/x");
        return props;
    }

    @Test
    void defaultsAreSensible() {
        EnricherConfig config = new EnricherConfig(minimal());
        assertEquals("exactly_once_v2", config.getString(EnricherConfig.PROCESSING_GUARANTEE));
        assertEquals(EnricherConfig.InputFormat.JSON, config.inputFormat());
        assertEquals("cpu", config.getString(EnricherConfig.INFERENCE_DEVICE));
        assertEquals("exact", config.inferenceSettings().precision().id());
        assertEquals("0.0.0.0", config.getString(EnricherConfig.HTTP_BIND_ADDRESS));
    }

    @Test
    void environmentOverridesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("enricher.properties");
        Files.writeString(file, "input.topics=a\nclassifier.model.dir=/m\nbatch.max.records=8\n");
        EnricherConfig config = EnricherConfig.load(file, Map.of("ENRICHER_BATCH_MAX_RECORDS", "64",
                "ENRICHER_OUTPUT_TOPIC", "out2", "ENRICHER_KAFKA_COMMIT_INTERVAL_MS", "50", "UNRELATED", "x"));
        assertEquals(64, config.getInt(EnricherConfig.BATCH_MAX_RECORDS));
        assertEquals("out2", config.getString(EnricherConfig.OUTPUT_TOPIC));
        assertEquals("50", config.kafkaOverrides().get("commit.interval.ms"));
        assertEquals("ENRICHER_BATCH_MAX_DELAY_MS", EnricherConfig.envName(EnricherConfig.BATCH_MAX_DELAY_MS));
    }

    @Test
    void badValuesNameTheKey() {
        assertBad(EnricherConfig.BATCH_MAX_RECORDS, 0, "batch.max.records");
        assertBad(EnricherConfig.BATCH_MAX_RECORDS, "many", "batch.max.records");
        assertBad(EnricherConfig.INPUT_FORMAT, "xml", "input.format");
        assertBad(EnricherConfig.PROCESSING_GUARANTEE, "exactly_once", "processing.guarantee");
        assertBad(EnricherConfig.INFERENCE_DEVICE, "gpu", "inference.device");
        assertBad(EnricherConfig.BATCH_MAX_DELAY_MS, -1, "batch.max.delay.ms");
        assertBad(EnricherConfig.OUTPUT_ROUTES, "toxic:high:review", "output.routes");
        assertBad(EnricherConfig.DLQ_TOPIC, "enriched", "dlq.topic");
        assertBad(EnricherConfig.HTTP_BIND_ADDRESS, "", "http.bind.address");
    }

    @Test
    void crossFieldChecks() {
        Map<String, Object> both = minimal();
        both.put(EnricherConfig.INPUT_TOPIC_PATTERN, "in-.*");
        assertTrue(assertThrows(ConfigException.class, () -> new EnricherConfig(both)).getMessage()
                .contains("exactly one of input.topics and input.topic.pattern"));
        Map<String, Object> noModel = minimal();
        noModel.remove(EnricherConfig.CLASSIFIER_MODEL_DIR);
        assertTrue(assertThrows(ConfigException.class, () -> new EnricherConfig(noModel)).getMessage()
                .contains("classifier.model.dir"));
        Map<String, Object> noneWithWindows = minimal();
        noneWithWindows.put(EnricherConfig.NER_AGGREGATION, "none");
        assertTrue(assertThrows(ConfigException.class, () -> new EnricherConfig(noneWithWindows)).getMessage()
                .contains("ner.windows=truncate"));
    }

    @Test
    void secretsAreMaskedInTheEffectiveConfiguration() {
        Map<String, Object> props = minimal();
        props.put("kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule password=\"s3cret\";");
        props.put("kafka.ssl.keystore.password", "s3cret");
        String effective = new EnricherConfig(props).effective().toString();
        assertTrue(!effective.contains("s3cret"), effective);
    }

    @Test
    void everyKeyIsDocumentedInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String key : EnricherConfig.configDef().names()) {
            assertTrue(readme.contains("`" + key + "`"), "README.md documents " + key);
        }
    }

    private static void assertBad(String key, Object value, String named) {
        Map<String, Object> props = minimal();
        props.put(key, value);
        ConfigException e = assertThrows(ConfigException.class, () -> new EnricherConfig(props));
        System.out.println("bad config: " + e.getMessage());
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }
}
