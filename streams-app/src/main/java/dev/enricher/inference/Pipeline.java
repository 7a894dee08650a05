package dev.enricher.inference;

import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * A model bundle, its tokenizer and the post-processing of its task: texts in, results out. Windows of many
 * texts are sorted by length and run in batches within {@link BatchLimits}, so padding stays small; a text's
 * result does not depend on the batch it ran in.
 *
 * <p>Owns the bundle and the tokenizer; {@link #close()} releases both and must not be called while a
 * prediction runs. Thread-safe.
 *
 * @param <R> the result of one text
 */
public abstract class Pipeline<R> implements AutoCloseable {
    private final ModelBundle bundle;
    private final TextTokenizer tokenizer;
    private final BatchLimits limits;
    private final LongAdder realTokens = new LongAdder();
    private final LongAdder paddedTokens = new LongAdder();
    private volatile RunListener runListener = RunListener.NONE;
    private volatile ModelRun modelRun = ModelRun.BUNDLE;

    /** Told of every model run; called on the thread that ran it, must be fast and must not throw. */
    public interface RunListener {
        RunListener NONE = (sequences, real, padded, nanos) -> { };

        void onRun(int sequences, long realTokens, long paddedTokens, long nanos);
    }

    /**
     * How one padded run reaches a model: windows in, logits of {@code [windows, longest window, labels]} (token
     * classifiers) or {@code [windows, labels]} (sequence classifiers) out, exactly as {@link ModelBundle#run}.
     * Called on the predicting thread, possibly by many threads at once; must be thread-safe.
     */
    @FunctionalInterface
    public interface ModelRun {
        /** The bundle's own model: ONNX Runtime. */
        ModelRun BUNDLE = ModelBundle::run;

        Logits run(ModelBundle bundle, List<TokenWindow> windows);
    }

    protected Pipeline(ModelBundle bundle, TextTokenizer tokenizer, BatchLimits limits) {
        this.bundle = bundle;
        this.tokenizer = tokenizer;
        this.limits = limits;
    }

    /** Opens the tokenizer of a bundle with the bundle's maximum length; closes the bundle if that fails. */
    protected static TextTokenizer openTokenizer(ModelBundle bundle, int stride) {
        try {
            return TextTokenizer.load(bundle.tokenizerFile(), bundle.config().maxLength(), stride);
        } catch (IOException | RuntimeException e) {
            bundle.close();
            throw new BundleException(bundle.tokenizerFile(), e.getMessage(), e);
        }
    }

    public ModelBundle bundle() {
        return bundle;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public List<R> predict(List<String> texts) {
        return predictTokenized(tokenizer.encodeAll(texts));
    }

    public R predict(String text) {
        return predict(List.of(text)).get(0);
    }

    /** Results for texts already encoded by a tokenizer equal to {@link #tokenizer()}, in input order. */
    public List<R> predictTokenized(List<Tokenized> texts) {
        List<List<Logits>> logits = new ArrayList<>(texts.size());
        List<List<Integer>> rows = new ArrayList<>(texts.size());
        List<List<TokenWindow>> windows = new ArrayList<>(texts.size());
        record Job(int text, int window, TokenWindow tokens) {}
        List<Job> jobs = new ArrayList<>();
        for (int t = 0; t < texts.size(); t++) {
            Tokenized text = texts.get(t);
            List<TokenWindow> used = windowsOf(text);
            windows.add(used);
            logits.add(new ArrayList<>(Collections.nCopies(used.size(), null)));
            rows.add(new ArrayList<>(Collections.nCopies(used.size(), 0)));
            for (int w = 0; w < used.size(); w++) {
                jobs.add(new Job(t, w, used.get(w)));
            }
        }
        jobs.sort(Comparator.comparingInt((Job j) -> j.tokens().length()));
        int from = 0;
        while (from < jobs.size()) {
            int to = from + 1;
            long real = jobs.get(from).tokens().length();
            while (to < jobs.size()) {
                int next = jobs.get(to).tokens().length();
                if (!limits.fits(to - from + 1, real + next, next)) {
                    break;
                }
                real += next;
                to++;
            }
            List<Job> batch = jobs.subList(from, to);
            List<TokenWindow> inputs = new ArrayList<>(batch.size());
            for (Job j : batch) {
                inputs.add(j.tokens());
            }
            long start = System.nanoTime();
            Logits out = modelRun.run(bundle, inputs);
            long padded = (long) out.batch() * batch.get(batch.size() - 1).tokens().length();
            realTokens.add(real);
            paddedTokens.add(padded);
            runListener.onRun(batch.size(), real, padded, System.nanoTime() - start);
            for (int b = 0; b < batch.size(); b++) {
                Job j = batch.get(b);
                logits.get(j.text()).set(j.window(), out);
                rows.get(j.text()).set(j.window(), b);
            }
            from = to;
        }
        List<R> results = new ArrayList<>(texts.size());
        for (int t = 0; t < texts.size(); t++) {
            results.add(postprocess(texts.get(t), windows.get(t), logits.get(t), rows.get(t)));
        }
        return results;
    }

    public void setRunListener(RunListener listener) {
        this.runListener = listener;
    }

    /**
     * Replaces how this pipeline runs its model ({@link ModelRun#BUNDLE} by default): benchmarks and tests only,
     * e.g. a simulated accelerator. Set it before predictions run; never null.
     */
    public void setModelRun(ModelRun run) {
        this.modelRun = Objects.requireNonNull(run, "run");
    }

    /** How this pipeline runs its model; never null. */
    public ModelRun modelRun() {
        return modelRun;
    }

    /** Tokens sent to the model, special tokens included, since creation. */
    public long realTokens() {
        return realTokens.sum();
    }

    /** Tokens sent to the model including padding, since creation. */
    public long paddedTokens() {
        return paddedTokens.sum();
    }

    /** Windows of this text that the model runs on, first window first; just the first when truncating. */
    protected abstract List<TokenWindow> windowsOf(Tokenized text);

    /**
     * The result of one text.
     *
     * @param windows what {@link #windowsOf} chose
     * @param batches the batch output holding each window
     * @param rows each window's row in its batch
     */
    protected abstract R postprocess(Tokenized text, List<TokenWindow> windows, List<Logits> batches, List<Integer> rows);

    @Override
    public void close() {
        tokenizer.close();
        bundle.close();
    }

}
