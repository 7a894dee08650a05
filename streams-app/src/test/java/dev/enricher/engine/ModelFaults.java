package dev.enricher.engine;

import dev.enricher.tokenize.Tokenized;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Fault-injecting stand-ins for the models: wrap the engine's real calls into ONNX Runtime (see {@link
 * EnrichmentEngine#withInference}) and fail some of them the way real faults do. Thread-safe; each counts the
 * calls that reached it.
 */
public final class ModelFaults implements UnaryOperator<EnrichmentEngine.Inference> {
    /** Whether the call with these texts, the {@code call}-th (from 1), fails. */
    @FunctionalInterface
    interface Rule {
        boolean fails(int call, List<String> texts);
    }

    private final Rule rule;
    private final String fault;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();

    private ModelFaults(Rule rule, String fault) {
        this.rule = rule;
        this.fault = fault;
    }

    /** The first {@code n} calls fail as a lost device would, then the models work again. */
    public static ModelFaults failFirst(int n) {
        return new ModelFaults((call, texts) -> call <= n, "CUDA failure 999: unknown error (device lost)");
    }

    /** Every call holding {@code text} fails, as a record that crashes the model would. */
    public static ModelFaults failOn(String text) {
        return new ModelFaults((call, texts) -> texts.contains(text), "Non-zero status code returned while running "
                + "Gather node: indices element out of data bounds");
    }

    /** Every call fails, as a closed session would. */
    public static ModelFaults failAlways() {
        return new ModelFaults((call, texts) -> true, "Session is closed");
    }

    @Override
    public EnrichmentEngine.Inference apply(EnrichmentEngine.Inference models) {
        return texts -> {
            if (rule.fails(calls.incrementAndGet(), texts.stream().map(Tokenized::text).toList())) {
                failures.incrementAndGet();
                throw new IllegalStateException(fault);
            }
            return models.predict(texts);
        };
    }

    public int calls() {
        return calls.get();
    }

    public int failures() {
        return failures.get();
    }
}
