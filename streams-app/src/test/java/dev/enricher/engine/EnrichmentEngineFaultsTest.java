package dev.enricher.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.app.EnricherServiceAccess;
import dev.enricher.config.EnricherConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine tells a bad record (fails alone, others work) from failing models (everything fails). */
class EnrichmentEngineFaultsTest {
    private static EnrichmentEngine models;

    @BeforeAll
    static void open() {
        models = EnricherServiceAccess.openEngine(new EnricherConfig(Map.of(
                EnricherConfig.INPUT_TOPICS, "in",
                EnricherConfig.CLASSIFIER_MODEL_DIR, TestModels.bundle(TestModels.SENTIMENT).toString(),
                EnricherConfig.NER_MODEL_DIR, TestModels.bundle(TestModels.NER).toString())));
    }

    @AfterAll
    static void close() {
        models.close();
    }

    static List<EnrichmentEngine.Event> events(String... texts) {
        return java.util.stream.IntStream.range(0, texts.length).mapToObj(i -> new EnrichmentEngine.Event("e" + i,
                texts[i], "in", 0, i, 1_000L, null, null, 1_000L)).toList();
    }

    @Test
    void anEventTheModelsFailOnAloneGetsAFailureAndTheOthersTheirResults() {
        ModelFaults faults = ModelFaults.failOn("poison");
        List<EnrichmentEngine.Outcome> outcomes = models.withInference(faults)
                .enrich(events("first", "poison", "third"), 2_000L);
        assertEquals(3, outcomes.size());
        assertNotNull(outcomes.get(0).event());
        assertTrue(outcomes.get(1).failure().contains("out of data bounds"), outcomes.get(1).failure());
        assertNull(outcomes.get(1).event());
        assertNotNull(outcomes.get(2).event());
        assertEquals(1_000L, outcomes.get(0).event().getTimings().getBatchWaitMs(), "waits on the caller's clock");
    }

    @Test
    void aLoneBadEventIsToldApartByTheProbe() {
        ModelFaults faults = ModelFaults.failOn("poison");
        List<EnrichmentEngine.Outcome> outcomes = models.withInference(faults).enrich(events("poison"), 2_000L);
        assertEquals(1, outcomes.size());
        assertNotNull(outcomes.get(0).failure());
        assertEquals(5, faults.calls(), "batch, probe, alone, probe, alone again");
    }

    @Test
    void modelsFailingOnEveryInputThrowEngineFailureAndNoOutcome() {
        ModelFaults faults = ModelFaults.failAlways();
        EnrichmentEngine.EngineFailure e = assertThrows(EnrichmentEngine.EngineFailure.class,
                () -> models.withInference(faults).enrich(events("a", "b"), 2_000L));
        assertTrue(e.getMessage().contains("Session is closed"), e.getMessage());
    }

    @Test
    void aFaultThatPassesAtOnceDeadLettersNothing() {
        ModelFaults faults = ModelFaults.failFirst(1);
        List<EnrichmentEngine.Outcome> outcomes = models.withInference(faults).enrich(events("a", "b", "c"), 2_000L);
        assertEquals(3, outcomes.size());
        for (EnrichmentEngine.Outcome o : outcomes) {
            assertNull(o.failure(), "the batch failed, the probe and every event alone worked");
        }
        assertEquals(5, faults.calls(), "batch, probe, three alone");
    }

    @Test
    void aFaultLastingThroughTheProbeIsAnEngineFailureAndTheNextCallWorks() {
        ModelFaults faults = ModelFaults.failFirst(2);
        EnrichmentEngine engine = models.withInference(faults);
        assertThrows(EnrichmentEngine.EngineFailure.class, () -> engine.enrich(events("a", "b"), 2_000L));
        assertEquals(2, faults.calls(), "the batch and the probe: a failing engine costs two calls a batch");
        List<EnrichmentEngine.Outcome> retried = engine.enrich(events("a"), 3_000L);
        assertEquals(1, retried.size());
        assertNull(retried.get(0).failure());
    }

    @Test
    void anEventThatOverflowsTheStackAloneGetsAFailureNotARetryForever() {
        EnrichmentEngine engine = models.withInference(inner -> texts -> {
            if (texts.stream().anyMatch(t -> t.text().equals("deep"))) {
                throw new StackOverflowError();
            }
            return inner.predict(texts);
        });
        List<EnrichmentEngine.Outcome> outcomes = engine.enrich(events("first", "deep"), 2_000L);
        assertEquals(2, outcomes.size());
        assertNull(outcomes.get(0).failure());
        assertTrue(outcomes.get(1).failure().startsWith("StackOverflowError"), outcomes.get(1).failure());
    }

    @Test
    void textsTokenizedAheadGiveTheSameResultsAsTextsTokenizedWithTheBatch() {
        String[] texts = {"Barack Obama met Angela Merkel in Berlin.", "you are such an idiot lol"};
        List<EnrichmentEngine.Event> plain = events(texts);
        List<EnrichmentEngine.Event> ahead = plain.stream().map(e -> new EnrichmentEngine.Event(e.id(), e.text(),
                e.sourceTopic(), e.sourcePartition(), e.sourceOffset(), e.recordTime(), e.eventTime(), e.metadata(),
                e.arrivalMillis(), models.tokenize(e.text()))).toList();
        List<EnrichmentEngine.Outcome> a = models.enrich(plain, 2_000L);
        List<EnrichmentEngine.Outcome> b = models.enrich(ahead, 2_000L);
        assertEquals(2, a.size());
        assertEquals(2, b.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(a.get(i).event().getClassifications(), b.get(i).event().getClassifications());
            assertEquals(a.get(i).event().getEntities(), b.get(i).event().getEntities());
        }
    }
}
