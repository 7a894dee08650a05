package dev.enricher.inference;

import java.util.Locale;
import java.util.Optional;

/** The function applied to sequence-classification logits, as {@code function_to_apply} in transformers. */
public enum ClassificationFunction {
    DEFAULT, SIGMOID, SOFTMAX, NONE;

    public static ClassificationFunction parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("function '" + name + "' is not one of default, sigmoid, softmax, none");
        }
    }

    /** The function that {@code DEFAULT} stands for, by transformers' rule over problem type and label count. */
    public ClassificationFunction resolve(Optional<String> problemType, int labels) {
        if (this != DEFAULT) {
            return this;
        }
        String problem = problemType.orElse("");
        if (problem.equals("regression")) {
            return NONE;
        }
        if (problem.equals("multi_label_classification") || labels == 1) {
            return SIGMOID;
        }
        if (problem.equals("single_label_classification") || labels > 1) {
            return SOFTMAX;
        }
        return NONE;
    }

    /** Applies this (resolved) function; float32 arithmetic as numpy does it. */
    public float[] apply(float[] logits) {
        float[] out = new float[logits.length];
        switch (this) {
            case SIGMOID -> {
                for (int i = 0; i < logits.length; i++) {
                    out[i] = (float) (1.0 / (1.0 + Math.exp(-logits[i])));
                }
            }
            case SOFTMAX -> Softmax.into(logits, out);
            case NONE -> System.arraycopy(logits, 0, out, 0, logits.length);
            case DEFAULT -> throw new IllegalStateException("resolve DEFAULT before applying it");
        }
        return out;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
