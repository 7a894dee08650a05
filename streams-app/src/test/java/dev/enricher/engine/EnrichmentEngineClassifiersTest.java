package dev.enricher.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.enricher.TestModels;
import dev.enricher.app.EnricherServiceAccess;
import dev.enricher.app.ServiceVersion;
import dev.enricher.avro.ClassificationResult;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.inference.TokenClassification;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Several classifiers per event, configured by name: one result each, keyed by task, with its own model provenance
 * and thresholds, equal to what each pipeline says alone; each text tokenized once per distinct tokenization.
 */
class EnrichmentEngineClassifiersTest {
    private static final List<String> TEXTS = List.of("you are an idiot and I will find you",
            "Angela Merkel visited Paris on Tuesday.", "thanks, that was helpful", "");

    private static Map<String, Object> config(String classifiers) {
        Map<String, Object> props = new HashMap<>();
        props.put(EnricherConfig.INPUT_TOPICS, "in");
        props.put(EnricherConfig.CLASSIFIERS, classifiers);
        props.put(EnricherConfig.NER_MODEL_DIR, TestModels.bundle(TestModels.NER).toString());
        return props;
    }

    @Test
    void eachClassifierHasItsResultUnderItsTaskWithItsProvenanceAndThresholds() {
        Map<String, Object> props = config("toxicity,sentiment");
        props.put("classifier.toxicity.model.dir", TestModels.bundle(TestModels.MODERATION).toString());
        props.put("classifier.toxicity.threshold", "0.0");
        props.put("classifier.sentiment.model.dir", TestModels.bundle(TestModels.SENTIMENT).toString());
        props.put("classifier.sentiment.top.k", "1");
        props.put("classifier.sentiment.threshold", "1.0");
        try (EnrichmentEngine engine = EnricherServiceAccess.openEngine(new EnricherConfig(props))) {
            assertEquals(2, engine.tokenizations(), "moderation shares the NER tagger's tokenizer.json, sentiment not");
            assertEquals(List.of("toxicity", "sentiment", "ner"), List.copyOf(engine.provenanceByTask().keySet()));
            List<EnrichmentEngine.Outcome> outcomes = engine.enrich(EnrichmentEngineFaultsTest.events(
                    TEXTS.toArray(String[]::new)), 2_000L);
            assertEquals(TEXTS.size(), outcomes.size());
            List<SequenceClassification.Result> toxicity = engine.classifiers().get(0).pipeline().predict(TEXTS);
            List<SequenceClassification.Result> sentiment = engine.classifiers().get(1).pipeline().predict(TEXTS);
            List<TokenClassification.Result> entities = engine.ner().orElseThrow().predict(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertNull(outcomes.get(i).failure());
                EnrichedEvent e = outcomes.get(i).event();
                assertEquals(ServiceVersion.get(), e.getServiceVersion());
                assertEquals(2, e.getClassifications().size());
                ClassificationResult tox = e.getClassifications().get(0);
                ClassificationResult sent = e.getClassifications().get(1);
                assertEquals("toxicity", tox.getTask());
                assertEquals(TestModels.MODERATION, tox.getModel().getBundle());
                assertEquals(TestModels.sha256(TestModels.bundle(TestModels.MODERATION).resolve("model.onnx")),
                        tox.getModel().getSha256());
                assertEquals(toxicity.get(i).scores().size(), tox.getScores().size());
                assertEquals(toxicity.get(i).top().label(), tox.getTopLabel());
                assertEquals(toxicity.get(i).top().score(), tox.getTopScore());
                assertEquals(tox.getScores().size(), tox.getLabelsOverThreshold().size(), "threshold 0: every label");
                assertEquals("sentiment", sent.getTask());
                assertEquals(TestModels.SENTIMENT, sent.getModel().getBundle());
                assertEquals(1, sent.getScores().size(), "top.k 1");
                assertEquals(sentiment.get(i).top().label(), sent.getTopLabel());
                assertEquals(sentiment.get(i).top().score(), sent.getTopScore());
                assertEquals(List.of(), sent.getLabelsOverThreshold(), "threshold 1.0: no softmax score reaches it");
                assertEquals(TestModels.NER, e.getNer().getModel().getBundle());
                assertEquals(entities.get(i).entities().size(), e.getEntities().size());
            }
        }
    }

    @Test
    void modelsSharingATokenizerFileReadOneTokenization() {
        Map<String, Object> props = config("a,b");
        props.put("classifier.a.model.dir", TestModels.bundle(TestModels.MODERATION).toString());
        props.put("classifier.b.model.dir", TestModels.bundle(TestModels.MODERATION).toString());
        props.put("classifier.b.long.text", "window_max");
        try (EnrichmentEngine engine = EnricherServiceAccess.openEngine(new EnricherConfig(props))) {
            assertEquals(1, engine.tokenizations(), "NER and both classifiers: one tokenizer.json, one stride");
        }
        props.put("classifier.b.stride", "7");
        try (EnrichmentEngine engine = EnricherServiceAccess.openEngine(new EnricherConfig(props))) {
            assertEquals(2, engine.tokenizations(), "b's windows need its own stride");
        }
        props.put("classifier.b.long.text", "truncate");
        try (EnrichmentEngine engine = EnricherServiceAccess.openEngine(new EnricherConfig(props))) {
            assertEquals(1, engine.tokenizations(), "a truncating classifier reads the first window of any stride");
            List<EnrichmentEngine.Outcome> outcomes = engine.enrich(EnrichmentEngineFaultsTest.events("hello there"),
                    2_000L);
            assertEquals(1, outcomes.size());
            EnrichedEvent e = outcomes.get(0).event();
            assertEquals(List.of("a", "b"), e.getClassifications().stream().map(ClassificationResult::getTask).toList());
            assertEquals(e.getClassifications().get(0).getScores(), e.getClassifications().get(1).getScores(),
                    "the same model on the same tokens");
        }
    }

    @Test
    void withoutAClassifierTheListIsEmptyAndWithoutATaggerEntitiesAreEmpty() {
        Map<String, Object> nerOnly = config("");
        try (EnrichmentEngine engine = EnricherServiceAccess.openEngine(new EnricherConfig(nerOnly))) {
            EnrichedEvent e = engine.enrich(EnrichmentEngineFaultsTest.events("Angela Merkel"), 2_000L).get(0).event();
            assertEquals(List.of(), e.getClassifications());
            assertEquals(TestModels.NER, e.getNer().getModel().getBundle());
        }
        Map<String, Object> classifierOnly = new HashMap<>(Map.of(EnricherConfig.INPUT_TOPICS, "in",
                EnricherConfig.CLASSIFIER_MODEL_DIR, TestModels.bundle(TestModels.SENTIMENT).toString()));
        try (EnrichmentEngine engine = EnricherServiceAccess.openEngine(new EnricherConfig(classifierOnly))) {
            EnrichedEvent e = engine.enrich(EnrichmentEngineFaultsTest.events("Angela Merkel"), 2_000L).get(0).event();
            assertEquals(List.of(EnricherConfig.DEFAULT_CLASSIFIER),
                    e.getClassifications().stream().map(ClassificationResult::getTask).toList());
            assertNull(e.getNer());
            assertEquals(List.of(), e.getEntities());
        }
    }
}
