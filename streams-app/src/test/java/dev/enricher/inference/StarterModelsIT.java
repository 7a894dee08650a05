package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.DriverAwait;
import dev.enricher.TestModels;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.ModelProvenance;
import dev.enricher.batching.BatchScheduler;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.InProcessSchemaRegistry;
import dev.enricher.topology.ProcessingMetrics;
import dev.enricher.topology.Stalls;
import dev.enricher.tokenize.Tokenized;
import dev.enricher.topology.EnricherTopology;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * The starter models as the build assembles them ({@code models/build/starter-*} from the trained weights in
 * {@code models/starter/}): contract checks, the assembled graph against the trained PyTorch model, the
 * held-out scores of the model cards reproduced through the service's own tokenizer and post-processing, the
 * hand-written sentences, and provenance in the enriched records.
 */
class StarterModelsIT {
    static final InferenceSettings CPU = InferenceSettings.cpu(1);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SENTIMENT = TestModels.STARTER_SENTIMENT;
    static final String NER = TestModels.STARTER_NER;
    static final List<String> ENTITY_TYPES = List.of("PER", "ORG", "LOC", "MISC");

    static Path built(String bundle) {
        return TestModels.starter(bundle);
    }

    static Path trained(String task) {
        return TestModels.modelsDir().resolve("starter").resolve(task);
    }

    static List<JsonNode> jsonLines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    static JsonNode metrics(String task) throws IOException {
        return JSON.readTree(trained(task).resolve("metrics.json").toFile());
    }

    static ClassifierPipeline sentiment() {
        return ClassifierPipeline.open(built(SENTIMENT), CPU, new SequenceClassification.Options(
                ClassificationFunction.DEFAULT, 0, SequenceClassification.LongText.TRUNCATE), 0, BatchLimits.ofSize(32));
    }

    static NerPipeline ner(Aggregation aggregation) {
        return NerPipeline.open(built(NER), CPU, TokenClassification.Options.of(aggregation,
                TokenClassification.Windows.TRUNCATE), 0, BatchLimits.ofSize(32));
    }

    @Test
    void bundlesPassTheContractChecksAndCarryTheLabelsTheyWereTrainedWith() throws Exception {
        for (String task : List.of("sentiment", "ner")) {
            String name = "starter-" + task;
            try (ModelBundle bundle = ModelBundle.load(built(name), CPU)) {
                assertEquals(name, bundle.name());
                assertEquals(task.equals("ner") ? ModelBundle.Task.TOKEN_CLASSIFICATION
                        : ModelBundle.Task.SEQUENCE_CLASSIFICATION, bundle.task());
                List<String> labels = new ArrayList<>();
                metrics(task).get("labels").forEach(l -> labels.add(l.asText()));
                assertEquals(labels, bundle.config().labels());
                assertEquals(sha256(bundle.dir().resolve("model.onnx")), bundle.sha256());
            }
        }
    }

    @Test
    void assembledGraphsGiveTheLogitsOfTheTrainedModel() throws Exception {
        double worst = 0;
        int compared = 0;
        for (String task : List.of("sentiment", "ner")) {
            try (ModelBundle bundle = ModelBundle.load(built("starter-" + task), CPU);
                 var tokenizer = dev.enricher.tokenize.TextTokenizer.load(bundle.tokenizerFile(), 512, 0)) {
                for (JsonNode ref : jsonArray(trained(task).resolve("reference.json"))) {
                    Tokenized t = tokenizer.encode(ref.get("text").asText());
                    long[] pythonIds = JSON.treeToValue(ref.get("input_ids"), long[].class);
                    assertArrayEquals(pythonIds, t.first().ids(), "token ids of: " + ref.get("text"));
                    Logits logits = bundle.run(List.of(t.first()));
                    float[] got = logits.data(); // one sequence: [labels] or [tokens * labels]
                    List<Double> expected = new ArrayList<>();
                    ref.get("logits").forEach(row -> {
                        if (row.isArray()) {
                            row.forEach(v -> expected.add(v.asDouble()));
                        } else {
                            expected.add(row.asDouble());
                        }
                    });
                    assertEquals(expected.size(), got.length, "logit count of: " + ref.get("text"));
                    for (int i = 0; i < got.length; i++) {
                        worst = Math.max(worst, Math.abs(got[i] - expected.get(i)));
                    }
                    compared++;
                }
            }
        }
        System.out.printf(Locale.ROOT, "starter models: %d reference texts, max |ONNX Runtime - PyTorch| logit %.2e%n",
                compared, worst);
        assertTrue(worst < 1e-3, "logits differ from the trained model by " + worst);
    }

    @Test
    void heldOutSentimentScoresMatchTheModelCard() throws Exception {
        List<JsonNode> test = jsonLines(trained("sentiment").resolve("test.jsonl"));
        List<String> texts = test.stream().map(t -> t.get("text").asText()).toList();
        List<String> labels = List.of("negative", "neutral", "positive");
        int[][] confusion = new int[3][3];
        try (ClassifierPipeline pipeline = sentiment()) {
            List<SequenceClassification.Result> results = pipeline.predict(texts);
            for (int i = 0; i < texts.size(); i++) {
                confusion[labels.indexOf(test.get(i).get("label").asText())][labels.indexOf(results.get(i).top().label())]++;
            }
        }
        int correct = 0;
        double f1Sum = 0;
        for (int k = 0; k < 3; k++) {
            correct += confusion[k][k];
            int predicted = 0;
            int gold = 0;
            for (int j = 0; j < 3; j++) {
                predicted += confusion[j][k];
                gold += confusion[k][j];
            }
            f1Sum += f1(confusion[k][k], predicted, gold);
        }
        double accuracy = (double) correct / texts.size();
        double macroF1 = f1Sum / 3;
        JsonNode card = metrics("sentiment").get("test");
        System.out.printf(Locale.ROOT, "starter-sentiment held-out (%d texts, service pipeline): accuracy %.4f macro-F1 "
                + "%.4f; model card (PyTorch, fp16 weights): %.4f / %.4f%n", texts.size(), accuracy, macroF1,
                card.get("accuracy").asDouble(), card.get("macro_f1").asDouble());
        assertEquals(card.get("accuracy").asDouble(), accuracy, 0.005);
        assertEquals(card.get("macro_f1").asDouble(), macroF1, 0.005);
    }

    @Test
    void heldOutEntityScoresMatchTheModelCard() throws Exception {
        List<JsonNode> test = jsonLines(trained("ner").resolve("test.jsonl"));
        List<String> texts = test.stream().map(t -> t.get("text").asText()).toList();
        Map<String, int[]> counts = new HashMap<>(); // type -> {true positives, predicted, gold}
        ENTITY_TYPES.forEach(t -> counts.put(t, new int[3]));
        try (NerPipeline pipeline = ner(Aggregation.FIRST)) {
            List<TokenClassification.Result> results = pipeline.predict(texts);
            for (int i = 0; i < texts.size(); i++) {
                Set<String> gold = new HashSet<>();
                for (JsonNode e : test.get(i).get("entities")) {
                    gold.add(e.get("type").asText() + "@" + e.get("start").asInt() + "-" + e.get("end").asInt());
                    counts.get(e.get("type").asText())[2]++;
                }
                for (Entity e : results.get(i).entities()) {
                    counts.get(e.label())[1]++;
                    if (gold.contains(e.label() + "@" + e.start() + "-" + e.end())) {
                        counts.get(e.label())[0]++;
                    }
                }
            }
        }
        int[] all = new int[3];
        StringBuilder perType = new StringBuilder();
        for (String type : ENTITY_TYPES) {
            int[] c = counts.get(type);
            for (int k = 0; k < 3; k++) {
                all[k] += c[k];
            }
            perType.append(String.format(Locale.ROOT, " %s %.4f", type, f1(c[0], c[1], c[2])));
        }
        double micro = f1(all[0], all[1], all[2]);
        double card = metrics("ner").get("test").get("micro").get("f1").asDouble();
        System.out.printf(Locale.ROOT, "starter-ner held-out (%d texts, %d entities, service pipeline, aggregation "
                + "first): micro-F1 %.4f,%s; model card (PyTorch, word level): %.4f%n", texts.size(), all[2], micro,
                perType, card);
        assertEquals(card, micro, 0.01);
    }

    @Test
    void handWrittenSentencesGetTheExpectedAnswers() {
        try (NerPipeline ner = ner(Aggregation.SIMPLE); ClassifierPipeline sentiment = sentiment()) {
            List<Entity> merkel = ner.predict("Angela Merkel visited Paris.").entities();
            assertEquals(List.of("PER:angela merkel:0-13", "LOC:paris:22-27"),
                    merkel.stream().map(e -> e.label() + ":" + e.word() + ":" + e.start() + "-" + e.end()).toList());
            assertEquals("positive", sentiment.predict("I absolutely love this phone, the battery lasts forever!").top().label());
            assertEquals("negative", sentiment.predict("The delivery was late and the box arrived broken. Terrible "
                    + "service.").top().label());
        }
    }

    @Test
    void enrichedRecordsNameTheStarterModelsAndTheirHashes() throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(EnricherConfig.INPUT_TOPICS, "events");
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, built(SENTIMENT).toString());
        props.put(EnricherConfig.NER_MODEL_DIR, built(NER).toString());
        props.put(EnricherConfig.NER_AGGREGATION, "simple");
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 1);
        EnricherConfig config = new EnricherConfig(props);
        InProcessSchemaRegistry registry = new InProcessSchemaRegistry();
        Properties streams = dev.enricher.app.EnricherService.streamsProperties(config);
        streams.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        streams.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("enricher-starter").toString());
        Instant t0 = Instant.parse("2026-11-28T10:00:00Z");
        Stalls stalls = new Stalls();
        try (EnrichmentEngine engine = dev.enricher.app.EnricherServiceAccess.openEngine(config);
             BatchScheduler scheduler = EnricherTopology.scheduler(config, engine, ProcessingMetrics.NONE, stalls);
             TopologyTestDriver driver = new TopologyTestDriver(EnricherTopology.build(config, engine, scheduler,
                     new ConfluentAvro.AvroSerializer<EnrichedEvent>(registry, EnrichedEvent.getClassSchema()),
                     ProcessingMetrics.NONE, null, stalls), streams, t0)) {
            var input = driver.createInputTopic("events", new ByteArraySerializer(), new ByteArraySerializer(), t0,
                    Duration.ofMillis(1));
            var output = driver.createOutputTopic(config.getString(EnricherConfig.OUTPUT_TOPIC),
                    new ByteArrayDeserializer(), new ConfluentAvro.AvroDeserializer<EnrichedEvent>(registry, EnrichedEvent.getClassSchema()));
            input.pipeInput("{\"id\": \"m1\", \"text\": \"Angela Merkel visited Paris.\"}".getBytes(StandardCharsets.UTF_8));
            DriverAwait.await(driver, "the event enriched", () -> !output.isEmpty());
            EnrichedEvent e = output.readValue();
            assertEquals("m1", e.getId());
            assertEquals(1, e.getClassifications().size());
            ModelProvenance classifier = e.getClassifications().get(0).getModel();
            assertEquals(EnricherConfig.DEFAULT_CLASSIFIER, e.getClassifications().get(0).getTask());
            assertEquals(SENTIMENT, classifier.getBundle());
            assertEquals(sha256(built(SENTIMENT).resolve("model.onnx")), classifier.getSha256());
            assertEquals(NER, e.getNer().getModel().getBundle());
            assertEquals(sha256(built(NER).resolve("model.onnx")), e.getNer().getModel().getSha256());
            assertEquals(List.of("PER", "LOC"), e.getEntities().stream().map(x -> x.getEntityGroup()).toList());
            System.out.println("starter models in a record: " + classifier + ", " + e.getNer());
        }
    }

    static List<JsonNode> jsonArray(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(file.toFile()).forEach(out::add);
        return out;
    }

    static double f1(int truePositives, int predicted, int gold) {
        if (truePositives == 0) {
            return 0;
        }
        double p = (double) truePositives / predicted;
        double r = (double) truePositives / gold;
        return 2 * p * r / (p + r);
    }

    static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
