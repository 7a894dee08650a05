package dev.enricher.inference;

import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A token classifier: {@link TokenClassification} over a bundle whose logits are {@code [batch, sequence, labels]}. */
public final class NerPipeline extends Pipeline<TokenClassification.Result> {
    private final TokenClassification.Options options;
    private final TokenClassification.Words words;

    private NerPipeline(ModelBundle bundle, TokenClassification.Options options, int stride, BatchLimits limits) {
        super(bundle, openTokenizer(bundle, stride), limits);
        this.options = options;
        try {
            this.words = new TokenClassification.Words(tokenizer().wordAware(), tokenizer().unkTokenId(),
                    tokenizer().tokensToString());
        } catch (IllegalStateException e) {
            close();
            throw new BundleException(bundle.tokenizerFile(), e.getMessage() + "; entity words cannot be rebuilt");
        }
    }

    /**
     * Opens a bundle as a token classifier.
     *
     * @param stride window overlap in tokens, used unless {@code options.windows()} is {@code TRUNCATE}
     * @throws BundleException when the bundle cannot be used, or is not a token classifier
     */
    public static NerPipeline open(Path dir, InferenceSettings settings, TokenClassification.Options options, int stride,
                                   BatchLimits limits) {
        return of(ModelBundle.load(dir, settings), options, stride, limits);
    }

    /** A token classifier over an open bundle, which it then owns (closed here if this fails). */
    public static NerPipeline of(ModelBundle bundle, TokenClassification.Options options, int stride,
                                 BatchLimits limits) {
        if (bundle.task() != ModelBundle.Task.TOKEN_CLASSIFICATION) {
            bundle.close();
            throw new BundleException(bundle.dir().resolve("model.onnx"), "expected a token classifier (logits of "
                    + "rank 3), found a sequence classifier (rank 2)");
        }
        return new NerPipeline(bundle, options, stride, limits);
    }

    public TokenClassification.Options options() {
        return options;
    }

    @Override
    protected List<TokenWindow> windowsOf(Tokenized text) {
        return switch (options.windows()) {
            case TRUNCATE -> List.of(text.first());
            case FULL -> text.windows();
            case TRANSFORMERS -> transformersWindows(text, tokenizer().stride());
        };
    }

    /**
     * The windows transformers 5.17 runs for {@code stride}: the text is first cut to the model's maximum length
     * without special tokens, then split into the usual first window and one overflow window holding the last
     * {@code stride + removed} tokens of the cut text (its Python {@code truncate_sequences}). Text past the
     * model's maximum length is therefore never seen, as in transformers.
     */
    static List<TokenWindow> transformersWindows(Tokenized text, int stride) {
        if (text.windows().size() < 2) {
            return text.windows();
        }
        TokenWindow second = text.windows().get(1);
        return List.of(text.first(), keepContent(second, Math.min(second.contentTokens(), stride + 2)));
    }

    /** The window with only its first {@code keep} non-special tokens, special tokens kept in place. */
    private static TokenWindow keepContent(TokenWindow w, int keep) {
        int n = w.length();
        boolean[] kept = new boolean[n];
        int size = 0;
        int content = 0;
        for (int i = 0; i < n; i++) {
            kept[i] = w.special()[i] || content++ < keep;
            size += kept[i] ? 1 : 0;
        }
        long[] ids = new long[size];
        long[] types = new long[size];
        String[] tokens = new String[size];
        boolean[] special = new boolean[size];
        int[] starts = new int[size];
        int[] ends = new int[size];
        for (int i = 0, j = 0; i < n; i++) {
            if (kept[i]) {
                ids[j] = w.ids()[i];
                types[j] = w.typeIds()[i];
                tokens[j] = w.tokens()[i];
                special[j] = w.special()[i];
                starts[j] = w.starts()[i];
                ends[j] = w.ends()[i];
                j++;
            }
        }
        return new TokenWindow(ids, types, tokens, special, starts, ends);
    }

    @Override
    protected TokenClassification.Result postprocess(Tokenized text, List<TokenWindow> windows, List<Logits> batches,
                                                     List<Integer> rows) {
        List<float[][]> logits = new ArrayList<>(batches.size());
        for (int w = 0; w < batches.size(); w++) {
            logits.add(batches.get(w).tokens(rows.get(w), windows.get(w).length()));
        }
        return TokenClassification.postprocess(text, windows, logits, bundle().config().labels(), words, options);
    }
}
