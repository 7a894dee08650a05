package dev.enricher.inference;

import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A sequence classifier: {@link SequenceClassification} over a bundle whose logits are {@code [batch, labels]}. */
public final class ClassifierPipeline extends Pipeline<SequenceClassification.Result> {
    private final SequenceClassification.Options options;

    private ClassifierPipeline(ModelBundle bundle, SequenceClassification.Options options, int stride,
                               BatchLimits limits) {
        super(bundle, openTokenizer(bundle, stride), limits);
        this.options = options;
    }

    /**
     * Opens a bundle as a classifier.
     *
     * @param options {@code DEFAULT} is resolved from the bundle's problem type and label count
     * @param stride window overlap in tokens, used when long texts are windowed
     * @throws BundleException when the bundle cannot be used, or is not a sequence classifier
     */
    public static ClassifierPipeline open(Path dir, InferenceSettings settings, SequenceClassification.Options options,
                                          int stride, BatchLimits limits) {
        return of(ModelBundle.load(dir, settings), options, stride, limits);
    }

    /** A classifier over an open bundle, which it then owns (closed here if this fails). */
    public static ClassifierPipeline of(ModelBundle bundle, SequenceClassification.Options options, int stride,
                                        BatchLimits limits) {
        if (bundle.task() != ModelBundle.Task.SEQUENCE_CLASSIFICATION) {
            bundle.close();
            throw new BundleException(bundle.dir().resolve("model.onnx"), "expected a sequence classifier (logits of "
                    + "rank 2), found a token classifier (rank 3)");
        }
        ModelConfig config = bundle.config();
        ClassificationFunction function = options.function().resolve(config.problemType(), config.labels().size());
        return new ClassifierPipeline(bundle, new SequenceClassification.Options(function, options.topK(),
                options.longText()), stride, limits);
    }

    public SequenceClassification.Options options() {
        return options;
    }

    @Override
    protected List<TokenWindow> windowsOf(Tokenized text) {
        return options.longText() == SequenceClassification.LongText.TRUNCATE ? List.of(text.first()) : text.windows();
    }

    @Override
    protected SequenceClassification.Result postprocess(Tokenized text, List<TokenWindow> windows, List<Logits> batches,
                                                        List<Integer> rows) {
        List<float[]> logits = new ArrayList<>(batches.size());
        for (int w = 0; w < batches.size(); w++) {
            logits.add(batches.get(w).row(rows.get(w)));
        }
        return SequenceClassification.postprocess(logits, text.truncated(), bundle().config().labels(), options);
    }
}
