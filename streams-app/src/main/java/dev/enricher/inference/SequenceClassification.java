package dev.enricher.inference;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Post-processing of sequence classifiers, as the transformers {@code text-classification} pipeline. */
public final class SequenceClassification {
    private SequenceClassification() {}

    /** How texts longer than the model are handled. */
    public enum LongText {
        /** Classify the first window only, as transformers does. */
        TRUNCATE,
        /** Classify every window and average each label's score. */
        WINDOW_MEAN,
        /** Classify every window and keep each label's highest score. */
        WINDOW_MAX;

        public static LongText parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("long-text mode '" + name + "' is not one of truncate, window_mean, "
                        + "window_max");
            }
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param function already resolved (not DEFAULT)
     * @param topK labels to keep, best first; 0 keeps all
     */
    public record Options(ClassificationFunction function, int topK, LongText longText) {
        public Options {
            if (topK < 0) {
                throw new IllegalArgumentException("top_k must be at least 0 (0 = all labels), got " + topK);
            }
        }
    }

    /**
     * @param scores best first; ties keep label order
     * @param truncated the text was longer than one window
     * @param windows windows the scores were computed from
     */
    public record Result(List<LabelScore> scores, boolean truncated, int windows) {
        public LabelScore top() {
            return scores.get(0);
        }
    }

    /** Scores of one text from the logits of each window it ran on (the first window first). */
    public static Result postprocess(List<float[]> windowLogits, boolean truncated, List<String> labels, Options options) {
        int used = windowLogits.size();
        float[] combined = options.function().apply(windowLogits.get(0));
        for (int w = 1; w < used; w++) {
            float[] scores = options.function().apply(windowLogits.get(w));
            for (int i = 0; i < combined.length; i++) {
                combined[i] = options.longText() == LongText.WINDOW_MAX ? Math.max(combined[i], scores[i])
                        : combined[i] + scores[i];
            }
        }
        if (options.longText() == LongText.WINDOW_MEAN && used > 1) {
            for (int i = 0; i < combined.length; i++) {
                combined[i] /= used;
            }
        }
        List<LabelScore> scores = new ArrayList<>(combined.length);
        for (int i = 0; i < combined.length; i++) {
            scores.add(new LabelScore(labels.get(i), combined[i]));
        }
        scores.sort(Comparator.comparingDouble((LabelScore s) -> s.score()).reversed());
        if (options.topK() > 0 && options.topK() < scores.size()) {
            scores = scores.subList(0, options.topK());
        }
        return new Result(List.copyOf(scores), truncated, used);
    }
}
