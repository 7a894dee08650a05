package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.enricher.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A text's result does not depend on the batch it runs in: alone, or among 7, 32 or 64 texts of other lengths. */
class BatchInvarianceTest {
    static final int[] BATCH_SIZES = {7, 32, 64};

    @Test
    void classifierResultsAreTheSameAloneAndInBatches() {
        try (ClassifierPipeline pipeline = ClassifierPipeline.open(TestModels.bundle(TestModels.MODERATION),
                InferenceSettings.cpu(1), new SequenceClassification.Options(ClassificationFunction.DEFAULT, 0,
                        SequenceClassification.LongText.WINDOW_MAX), 32, BatchLimits.ofSize(64))) {
            int compared = compare(texts -> pipeline.predict(texts));
            System.out.println("batch invariance (classifier): " + compared + " results identical alone and in batches");
        }
    }

    @Test
    void nerResultsAreTheSameAloneAndInBatches() {
        try (NerPipeline pipeline = NerPipeline.open(TestModels.bundle(TestModels.NER), InferenceSettings.cpu(1),
                TokenClassification.Options.of(Aggregation.AVERAGE, TokenClassification.Windows.FULL), 32,
                BatchLimits.ofSize(64))) {
            int compared = compare(texts -> pipeline.predict(texts));
            System.out.println("batch invariance (ner): " + compared + " results identical alone and in batches");
        }
    }

    private static <R> int compare(java.util.function.Function<List<String>, List<R>> predict) {
        List<String> corpus = corpus();
        int compared = 0;
        for (int size : BATCH_SIZES) {
            Random random = new Random(size);
            List<String> batch = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                batch.add(corpus.get(random.nextInt(corpus.size())));
            }
            List<R> together = predict.apply(batch);
            for (int i = 0; i < size; i++) {
                R alone = predict.apply(List.of(batch.get(i))).get(0);
                assertEquals(alone, together.get(i), "text " + i + " of a batch of " + size + ": " + batch.get(i));
                compared++;
            }
        }
        return compared;
    }

    /** The golden sentences (1 to ~300 tokens, long ones windowed) plus generated log lines of varied length. */
    static List<String> corpus() {
        List<String> texts = new ArrayList<>();
        for (JsonNode c : TestModels.golden(TestModels.SENTIMENT).get("cases")) {
            texts.add(c.get("text").asText());
        }
        Random random = new Random(7);
        for (int i = 0; i < 40; i++) {
            StringBuilder line = new StringBuilder("2026-11-28 INFO service-" + i);
            for (int w = random.nextInt(60); w > 0; w--) {
                line.append(' ').append(Integer.toString(random.nextInt(1 << 20), 36));
            }
            texts.add(line.toString());
        }
        return texts;
    }
}
