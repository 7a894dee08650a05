package dev.enricher.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.inference.ClassificationFunction;
import dev.enricher.inference.SequenceClassification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
    void registryModesAreValidatedByName() {
        assertBad(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY, "TopicNameStrategy",
                "schema.registry.subject.name.strategy");
        assertBad(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_VERSION, "0", "schema.registry.subject.version");
        assertBad(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_VERSION, "newest", "schema.registry.subject.version");
        assertBad(EnricherConfig.SCHEMA_REGISTRY_AUTO_REGISTER, false, "schema.registry.url");
        Map<String, Object> props = minimal();
        props.put(EnricherConfig.SCHEMA_REGISTRY_URL, "http://registry:8080");
        props.put(EnricherConfig.SCHEMA_REGISTRY_AUTO_REGISTER, "false");
        props.put(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_VERSION, "3");
        props.put(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY, "topic_record");
        var registration = dev.enricher.serde.Registries.registration(new EnricherConfig(props));
        assertEquals(new dev.enricher.serde.ConfluentAvro.Registration(
                dev.enricher.serde.SubjectNameStrategy.TOPIC_RECORD, false, "3"), registration);
        assertEquals(dev.enricher.serde.ConfluentAvro.Registration.AUTO,
                dev.enricher.serde.Registries.registration(new EnricherConfig(minimal())), "defaults as Confluent's");
    }

    @Test
    void runningWithoutARegistryIsWarnedAboutUnlessASerdeOwnsTheSchemas() {
        String warning = dev.enricher.serde.Registries.inProcessWarning(new EnricherConfig(minimal())).orElseThrow();
        assertTrue(warning.contains("schema.registry.url") && warning.contains("no consumer can resolve"), warning);
        Map<String, Object> registry = minimal();
        registry.put(EnricherConfig.SCHEMA_REGISTRY_URL, "http://registry:8080");
        assertTrue(dev.enricher.serde.Registries.inProcessWarning(new EnricherConfig(registry)).isEmpty());
        Map<String, Object> serde = minimal();
        serde.put(EnricherConfig.OUTPUT_VALUE_SERDE, "com.example.JsonSerde");
        assertTrue(dev.enricher.serde.Registries.inProcessWarning(new EnricherConfig(serde)).isEmpty());
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
    void inputTopicsThatTheServiceWritesAreRefused() {
        assertRefused(Map.of(EnricherConfig.INPUT_TOPICS, "in,enricher-dlq"), "input.topics", "[in, enricher-dlq]",
                "enricher-dlq (dlq.topic)");
        assertRefused(Map.of(EnricherConfig.INPUT_TOPICS, "enriched"), "input.topics", "enriched (output.topic)");
        assertRefused(Map.of(EnricherConfig.INPUT_TOPICS, "review", EnricherConfig.OUTPUT_ROUTES, "toxic:0.8: review "),
                "input.topics", "review (a route topic of output.routes)");
        assertRefused(Map.of(EnricherConfig.INPUT_TOPICS, "mod-pending-events-changelog", EnricherConfig.APPLICATION_ID,
                "mod"), "input.topics", "mod-pending-events-changelog (the changelog of the pending-events store)");
    }

    @Test
    void aPatternMatchingATopicTheServiceWritesIsRefused() {
        Map<String, Object> outputs = Map.of(EnricherConfig.INPUT_TOPIC_PATTERN, "pat-.*",
                EnricherConfig.OUTPUT_TOPIC, "pat-out", EnricherConfig.DLQ_TOPIC, "pat-dlq");
        assertRefused(outputs, "input.topic.pattern", "pat-.*", "pat-out (output.topic)", "pat-dlq (dlq.topic)");
        assertRefused(Map.of(EnricherConfig.INPUT_TOPIC_PATTERN, "chat-.*", EnricherConfig.OUTPUT_ROUTES,
                "toxic:0.8:chat-review"), "input.topic.pattern", "chat-review (a route topic of output.routes)");
        assertRefused(Map.of(EnricherConfig.INPUT_TOPIC_PATTERN, "enricher-.*", EnricherConfig.DLQ_TOPIC, "dead"),
                "input.topic.pattern", "enricher-pending-events-changelog (the changelog of the pending-events store)");
    }

    @Test
    void aPatternIsMatchedAgainstWholeTopicNames() {
        Map<String, Object> props = minimal();
        props.remove(EnricherConfig.INPUT_TOPICS);
        props.put(EnricherConfig.INPUT_TOPIC_PATTERN, "pat-in-.*|pat");
        props.put(EnricherConfig.OUTPUT_TOPIC, "pat-out");
        props.put(EnricherConfig.DLQ_TOPIC, "pat-dlq");
        props.put(EnricherConfig.OUTPUT_ROUTES, "toxic:0.8:pat-review");
        assertEquals("pat-in-.*|pat", new EnricherConfig(props).getString(EnricherConfig.INPUT_TOPIC_PATTERN));
    }

    @Test
    void anInvalidPatternNamesTheKey() {
        Map<String, Object> props = minimal();
        props.remove(EnricherConfig.INPUT_TOPICS);
        props.put(EnricherConfig.INPUT_TOPIC_PATTERN, "[");
        ConfigException e = assertThrows(ConfigException.class, () -> new EnricherConfig(props));
        System.out.println("bad config: " + e.getMessage());
        assertTrue(e.getMessage().contains("input.topic.pattern") && e.getMessage().contains("regular expression"),
                e.getMessage());
    }

    @Test
    void labelThresholdsAreScoresLikeTheThreshold() {
        assertBad(EnricherConfig.CLASSIFIER_LABEL_THRESHOLDS, "toxic:7", "classifier.label.thresholds");
        assertBad(EnricherConfig.CLASSIFIER_LABEL_THRESHOLDS, "insult:0.5,toxic:-0.1", "toxic:-0.1");
        assertBad(EnricherConfig.CLASSIFIER_LABEL_THRESHOLDS, "toxic:NaN", "between 0 and 1");
        Map<String, Object> bounds = minimal();
        bounds.put(EnricherConfig.CLASSIFIER_LABEL_THRESHOLDS, "toxic:0,insult:1");
        assertEquals(Map.of("toxic", 0.0, "insult", 1.0), new EnricherConfig(bounds).classifiers().get(0).labelThresholds());
        Map<String, Object> logits = minimal();
        logits.put(EnricherConfig.CLASSIFIER_FUNCTION, "none");
        logits.put(EnricherConfig.CLASSIFIER_LABEL_THRESHOLDS, "toxic:7");
        assertEquals(Map.of("toxic", 7.0), new EnricherConfig(logits).classifiers().get(0).labelThresholds(),
                "raw logits (classifier.function=none) take any threshold");
    }

    @Test
    void kafkaPasswordsAreMaskedByTheirKafkaTypeUnderEveryClientPrefix() {
        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put("kafka.ssl.keystore.key", "MARK-1");
        secrets.put("kafka.sasl.oauthbearer.assertion.private.key.passphrase", "MARK-2");
        secrets.put("kafka.producer.ssl.key.password", "MARK-3");
        secrets.put("kafka.main.consumer.ssl.keystore.certificate.chain", "MARK-4");
        secrets.put("kafka.restore.consumer.ssl.truststore.certificates", "MARK-5");
        secrets.put("kafka.global.consumer.ssl.keystore.key", "MARK-6");
        secrets.put("kafka.admin.ssl.keystore.key", "MARK-7");
        secrets.put("kafka.consumer.sasl.oauthbearer.client.credentials.client.secret", "MARK-8");
        secrets.put("kafka.sasl.jaas.config", "PlainLoginModule required password=\"MARK-9\";");
        Map<String, Object> props = minimal();
        props.putAll(secrets);
        props.put("kafka.commit.interval.ms", "50");
        props.put("kafka.producer.linger.ms", "5");
        props.put("kafka.ssl.keystore.type", "PEM");
        props.put(EnricherConfig.SCHEMA_REGISTRY_URL, "http://someuser:MARK@10/x@registry:8081/apis/ccompat/v7");
        Map<String, String> effective = new EnricherConfig(props).effective();
        Map<String, String> shown = new LinkedHashMap<>();
        Map<String, String> hidden = new LinkedHashMap<>();
        secrets.keySet().forEach(k -> {
            shown.put(k, effective.get(k));
            hidden.put(k, "[hidden]");
        });
        assertEquals(hidden, shown);
        assertEquals("50", effective.get("kafka.commit.interval.ms"));
        assertEquals("5", effective.get("kafka.producer.linger.ms"));
        assertEquals("PEM", effective.get("kafka.ssl.keystore.type"));
        assertEquals("http://[hidden]@registry:8081/apis/ccompat/v7",
                effective.get(EnricherConfig.SCHEMA_REGISTRY_URL));
        assertFalse(effective.toString().contains("MARK"), effective.toString());
    }

    @Test
    void everyKeyIsDocumentedInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String key : EnricherConfig.configDef().names()) {
            assertTrue(readme.contains("`" + key + "`"), "README.md documents " + key);
        }
    }

    @Test
    void theSchedulersCapacityHoldsAFullBatchAndDefaultsToFourBatchesInFlight() {
        assertRefused(Map.of(EnricherConfig.BATCH_MAX_RECORDS, 64, EnricherConfig.BATCH_MAX_QUEUED_EVENTS, 63),
                "batch.max.queued.events", "at least batch.max.records (64)");
        Map<String, Object> props = minimal();
        assertEquals(1024, new EnricherConfig(props).maxQueuedEvents(), "at least 1024 by default");
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 512);
        props.put(EnricherConfig.INFERENCE_BATCHES_IN_FLIGHT, 2);
        assertEquals(4096, new EnricherConfig(props).maxQueuedEvents(), "4 x 512 x 2");
        props.put(EnricherConfig.BATCH_MAX_QUEUED_EVENTS, 600);
        assertEquals(600, new EnricherConfig(props).maxQueuedEvents(), "as set");
    }

    /** {@code changes} over {@link #minimal()} (a pattern replaces input.topics) fail naming all of {@code named}. */
    @Test
    void producerOverridesBelowOutputMaxBytesAreRefused() {
        assertRefused(Map.of("kafka.producer.max.request.size", "100000"), "kafka.producer.max.request.size",
                "output.max.bytes=1048576");
        assertRefused(Map.of("kafka.buffer.memory", "500000"), "kafka.buffer.memory");
        assertRefused(Map.of(EnricherConfig.OUTPUT_MAX_BYTES, 4096), "output.max.bytes");
        Map<String, Object> props = minimal();
        props.put("kafka.producer.max.request.size", "2000000");
        assertEquals(2_000_000L, Long.parseLong(String.valueOf(new EnricherConfig(props).kafkaOverrides()
                .get("producer.max.request.size"))), "a larger one is kept");
    }

    private static void assertRefused(Map<String, Object> changes, String... named) {
        Map<String, Object> props = minimal();
        if (changes.containsKey(EnricherConfig.INPUT_TOPIC_PATTERN)) {
            props.remove(EnricherConfig.INPUT_TOPICS);
        }
        props.putAll(changes);
        ConfigException e = assertThrows(ConfigException.class, () -> new EnricherConfig(props));
        System.out.println("refused: " + e.getMessage());
        for (String text : named) {
            assertTrue(e.getMessage().contains(text), "'" + text + "' in: " + e.getMessage());
        }
    }

    @Test
    void classifierModelDirAloneIsOneClassifierNamedClassifier() {
        Map<String, Object> props = minimal();
        props.put(EnricherConfig.CLASSIFIER_TOP_K, 2);
        props.put(EnricherConfig.OUTPUT_ROUTES, "toxic:0.8:review");
        EnricherConfig config = new EnricherConfig(props);
        assertEquals(1, config.classifiers().size());
        EnricherConfig.ClassifierSettings c = config.classifiers().get(0);
        assertEquals("classifier", c.name());
        assertEquals(Path.of("/models/x"), c.modelDir());
        assertEquals(2, c.options().topK());
        assertEquals(List.of(new EnricherConfig.Route("classifier", "toxic", 0.8, "review")), config.routes());
    }

    @Test
    void severalClassifiersByNameEachWithItsOwnSettingsAndTheSharedDefaults() {
        Map<String, Object> props = new HashMap<>();
        props.put(EnricherConfig.INPUT_TOPICS, "in");
        props.put(EnricherConfig.CLASSIFIERS, "toxicity,spam,language");
        props.put(EnricherConfig.CLASSIFIER_THRESHOLD, "0.6");
        props.put("classifier.toxicity.model.dir", "/m/tox");
        props.put("classifier.toxicity.function", "sigmoid");
        props.put("classifier.toxicity.label.thresholds", "insult:0.9");
        props.put("classifier.spam.model.dir", "/m/spam");
        props.put("classifier.spam.threshold", "0.95");
        props.put("classifier.language.model.dir", "/m/lang");
        props.put("classifier.language.top.k", "3");
        props.put("classifier.language.long.text", "window_max");
        props.put("classifier.language.stride", "16");
        props.put(EnricherConfig.OUTPUT_ROUTES, "toxicity:insult:0.9:review, spam:spam:0.99:spam-review");
        EnricherConfig config = new EnricherConfig(props);
        List<EnricherConfig.ClassifierSettings> c = config.classifiers();
        assertEquals(List.of("toxicity", "spam", "language"), c.stream().map(EnricherConfig.ClassifierSettings::name).toList());
        assertEquals(List.of(Path.of("/m/tox"), Path.of("/m/spam"), Path.of("/m/lang")),
                c.stream().map(EnricherConfig.ClassifierSettings::modelDir).toList());
        assertEquals(ClassificationFunction.SIGMOID, c.get(0).options().function());
        assertEquals(ClassificationFunction.DEFAULT, c.get(1).options().function());
        assertEquals(Map.of("insult", 0.9), c.get(0).labelThresholds());
        assertEquals(Map.of(), c.get(1).labelThresholds());
        assertEquals(0.6, c.get(0).threshold(), "classifier.threshold is the default");
        assertEquals(0.95, c.get(1).threshold());
        assertEquals(0, c.get(0).options().topK());
        assertEquals(3, c.get(2).options().topK());
        assertEquals(SequenceClassification.LongText.WINDOW_MAX, c.get(2).options().longText());
        assertEquals(16, c.get(2).stride());
        assertEquals(32, c.get(0).stride());
        assertEquals(List.of(new EnricherConfig.Route("toxicity", "insult", 0.9, "review"),
                new EnricherConfig.Route("spam", "spam", 0.99, "spam-review")), config.routes());
    }

    @Test
    void namedClassifierMistakesNameTheKey() {
        Map<String, Object> named = new HashMap<>();
        named.put(EnricherConfig.INPUT_TOPICS, "in");
        named.put(EnricherConfig.CLASSIFIERS, "toxicity,spam");
        named.put("classifier.toxicity.model.dir", "/m/tox");
        named.put("classifier.spam.model.dir", "/m/spam");
        new EnricherConfig(named);
        assertBadNamed(named, "classifier.spam.model.dir", null, "classifier.spam.model.dir");
        assertBadNamed(named, "classifier.spam.model.dir", "", "classifier.spam.model.dir");
        assertBadNamed(named, "classifier.spam.function", "softermax", "classifier.spam.function");
        assertBadNamed(named, "classifier.spam.top.k", "-1", "classifier.spam.top.k");
        assertBadNamed(named, "classifier.spam.threshold", "7", "classifier.spam.threshold");
        assertBadNamed(named, "classifier.spam.label.thresholds", "spam:2", "classifier.spam.label.thresholds");
        assertBadNamed(named, "classifier.spam.treshold", "0.5", "classifier.spam.treshold");
        assertBadNamed(named, "classifier.language.model.dir", "/m/lang", "classifier.language.model.dir");
        assertBadNamed(named, EnricherConfig.CLASSIFIER_MODEL_DIR, "/m/x", "classifier.model.dir");
        assertBadNamed(named, EnricherConfig.CLASSIFIERS, "toxicity,toxicity", "classifiers");
        assertBadNamed(named, EnricherConfig.CLASSIFIERS, "toxicity,ner", "classifiers");
        assertBadNamed(named, EnricherConfig.CLASSIFIERS, "Toxicity", "classifiers");
        assertBadNamed(named, EnricherConfig.OUTPUT_ROUTES, "toxic:0.8:review", "output.routes");
        assertBadNamed(named, EnricherConfig.OUTPUT_ROUTES, "language:en:0.8:review", "output.routes");
        Map<String, Object> nerOnly = new HashMap<>();
        nerOnly.put(EnricherConfig.INPUT_TOPICS, "in");
        nerOnly.put(EnricherConfig.NER_MODEL_DIR, "/m/ner");
        assertEquals(List.of(), new EnricherConfig(nerOnly).classifiers());
        assertBadNamed(nerOnly, EnricherConfig.OUTPUT_ROUTES, "toxic:0.8:review", "output.routes");
    }

    @Test
    void namedClassifierKeysComeFromTheEnvironmentToo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("enricher.properties");
        Files.writeString(file, "input.topics=a\nclassifiers=toxicity,spam_v2\nclassifier.toxicity.model.dir=/m/tox\n");
        EnricherConfig config = EnricherConfig.load(file, Map.of("ENRICHER_CLASSIFIER_SPAM_V2_MODEL_DIR", "/m/spam",
                "ENRICHER_CLASSIFIER_TOXICITY_THRESHOLD", "0.7"));
        assertEquals(List.of(Path.of("/m/tox"), Path.of("/m/spam")),
                config.classifiers().stream().map(EnricherConfig.ClassifierSettings::modelDir).toList());
        assertEquals(0.7, config.classifiers().get(0).threshold());
    }

    private static void assertBadNamed(Map<String, Object> base, String key, Object value, String named) {
        Map<String, Object> props = new HashMap<>(base);
        if (value == null) {
            props.remove(key);
        } else {
            props.put(key, value);
        }
        ConfigException e = assertThrows(ConfigException.class, () -> new EnricherConfig(props), key + "=" + value);
        System.out.println("bad config: " + e.getMessage());
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    private static void assertBad(String key, Object value, String named) {
        Map<String, Object> props = minimal();
        props.put(key, value);
        ConfigException e = assertThrows(ConfigException.class, () -> new EnricherConfig(props));
        System.out.println("bad config: " + e.getMessage());
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }
}
