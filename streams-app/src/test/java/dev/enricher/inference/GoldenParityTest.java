package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.enricher.TestModels;
import dev.enricher.tokenize.Tokenized;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every case of the reference vectors: what the transformers 5.17 pipelines answered, reproduced from the ONNX
 * bundles. Labels, groups, words, start, end and index equal; scores within 1e-4.
 */
class GoldenParityTest {
    static final double SCORE_TOLERANCE = 1e-4;
    static final int GOLDEN_STRIDE = 32;
    static final InferenceSettings CPU = InferenceSettings.cpu(1);
    static final AtomicInteger COMPARED = new AtomicInteger();

    @AfterAll
    static void report() {
        System.out.println("golden parity: compared " + COMPARED.get() + " pipeline outputs with transformers 5.17");
    }

    @Test
    void sentimentMatchesTransformersForEveryFunction() {
        compareClassifier(TestModels.SENTIMENT);
    }

    @Test
    void multiLabelModerationMatchesTransformersForEveryFunction() {
        compareClassifier(TestModels.MODERATION);
    }

    @Test
    void nerMatchesTransformersForEveryAggregation() {
        JsonNode golden = TestModels.golden(TestModels.NER);
        List<JsonNode> cases = cases(golden);
        List<String> texts = cases.stream().map(c -> c.get("text").asText()).toList();
        int compared = 0;
        for (Aggregation aggregation : Aggregation.values()) {
            try (NerPipeline plain = NerPipeline.open(TestModels.bundle(TestModels.NER), CPU,
                    TokenClassification.Options.of(aggregation, TokenClassification.Windows.TRUNCATE), GOLDEN_STRIDE, BatchLimits.ofSize(8))) {
                List<Tokenized> encoded = plain.tokenizer().encodeAll(texts);
                List<TokenClassification.Result> truncated = plain.predictTokenized(encoded);
                for (int i = 0; i < cases.size(); i++) {
                    JsonNode c = cases.get(i);
                    JsonNode expected = c.get("pipeline").get(aggregation.id());
                    String where = TestModels.NER + " case " + i + " " + aggregation.id();
                    assertArrayEquals(longs(c.get("input_ids_truncated")), encoded.get(i).first().ids(), where + " ids");
                    if (!c.get("longer_than_model").asBoolean()) {
                        assertEntities(expected, truncated.get(i).entities(), where);
                    } else if (aggregation == Aggregation.NONE) {
                        assertTrue(expected.has("error"), where + ": transformers refuses none with stride");
                        assertThrows(IllegalArgumentException.class,
                                () -> TokenClassification.Options.of(Aggregation.NONE, TokenClassification.Windows.TRANSFORMERS));
                    } else {
                        try (NerPipeline windowed = NerPipeline.open(TestModels.bundle(TestModels.NER), CPU,
                                TokenClassification.Options.of(aggregation, TokenClassification.Windows.TRANSFORMERS), GOLDEN_STRIDE, BatchLimits.ofSize(8))) {
                            TokenClassification.Result result = windowed.predict(c.get("text").asText());
                            assertTrue(result.truncated() && result.windows() > 1, where + " windows");
                            assertEntities(expected, result.entities(), where + " stride " + GOLDEN_STRIDE);
                        }
                    }
                    compared++;
                }
            }
        }
        COMPARED.addAndGet(compared);
        System.out.println(TestModels.NER + ": compared " + compared + " outputs (" + cases.size() + " texts x 5 "
                + "aggregations)");
    }

    private void compareClassifier(String name) {
        JsonNode golden = TestModels.golden(name);
        List<JsonNode> cases = cases(golden);
        List<String> texts = cases.stream().map(c -> c.get("text").asText()).toList();
        int compared = 0;
        for (ClassificationFunction function : ClassificationFunction.values()) {
            try (ClassifierPipeline pipeline = ClassifierPipeline.open(TestModels.bundle(name), CPU,
                    new SequenceClassification.Options(function, 0, SequenceClassification.LongText.TRUNCATE),
                    GOLDEN_STRIDE, BatchLimits.ofSize(8))) {
                List<SequenceClassification.Result> results = pipeline.predict(texts);
                for (int i = 0; i < cases.size(); i++) {
                    assertScores(cases.get(i).get("pipeline").get(function.id()), results.get(i).scores(),
                            name + " case " + i + " function " + function.id());
                    compared++;
                }
            }
        }
        COMPARED.addAndGet(compared);
        System.out.println(name + ": compared " + compared + " outputs (" + cases.size() + " texts x 4 functions)");
    }

    /** Labels best first, as transformers ranks them; scores within {@link #SCORE_TOLERANCE}. */
    static void assertScores(JsonNode expected, List<LabelScore> actual, String where) {
        assertEquals(expected.size(), actual.size(), where + " label count");
        for (int k = 0; k < actual.size(); k++) {
            assertEquals(expected.get(k).get("label").asText(), actual.get(k).label(), where + " rank " + k);
            assertEquals(expected.get(k).get("score").asDouble(), actual.get(k).score(), SCORE_TOLERANCE,
                    where + " score of " + actual.get(k).label());
        }
    }

    static void assertEntities(JsonNode expected, List<Entity> actual, String where) {
        assertEquals(expected.size(), actual.size(), where + " entity count: expected " + expected + " got " + actual);
        for (int k = 0; k < actual.size(); k++) {
            JsonNode e = expected.get(k);
            Entity a = actual.get(k);
            String at = where + " entity " + k;
            if (e.has("entity")) {
                assertEquals(e.get("entity").asText(), a.label(), at + " entity");
                assertEquals(e.get("index").asInt(), a.index(), at + " index");
            } else {
                assertEquals(e.get("entity_group").asText(), a.label(), at + " entity_group");
                assertTrue(a.grouped(), at + " grouped");
            }
            assertEquals(e.get("word").asText(), a.word(), at + " word");
            assertEquals(e.get("start").asInt(), a.start(), at + " start");
            assertEquals(e.get("end").asInt(), a.end(), at + " end");
            assertEquals(e.get("score").asDouble(), a.score(), SCORE_TOLERANCE, at + " score");
        }
    }

    static List<JsonNode> cases(JsonNode golden) {
        List<JsonNode> out = new ArrayList<>();
        golden.get("cases").forEach(out::add);
        return out;
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
