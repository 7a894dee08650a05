package dev.enricher.inference;

import dev.enricher.inference.TokenClassification.CodePoints;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A token classifier: {@link TokenClassification} over a bundle whose logits are {@code [batch, sequence, labels]}. */
public final class NerPipeline extends Pipeline<TokenClassification.Result> {
    private static final Logger LOG = LoggerFactory.getLogger(NerPipeline.class);
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
        Aggregation aggregation = options.aggregation();
        if (!words.wordAware() && aggregation != Aggregation.NONE && aggregation != Aggregation.SIMPLE) {
            LOG.warn("{}: the tokenizer ({}) marks no word continuations, so aggregation '{}' finds words as "
                    + "transformers' fallback heuristic does (a token continues a word unless it or the character "
                    + "before it is a space); transformers warns the same", bundle.name(), tokenizer().className(),
                    aggregation.id());
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
            case TRANSFORMERS -> transformersWindows(text, tokenizer());
        };
    }

    /**
     * The windows transformers 5.17 runs for the tokenizer's stride. Its tokenizer ({@code tokenizers} 0.23)
     * encodes a text that needs truncation only up to the end of the pre-tokenizer word holding content token
     * number {@code maxLength} (index {@code maxLength - 1}), or, when tokens from there on were matched from the
     * added vocabulary, of the first token after them that was not; then it windows that prefix as usual:
     * windows start every {@code contentPerWindow - stride} tokens and the last one stops at the prefix's end.
     * Text past that word is never seen, as in transformers. A token without a word id ends the prefix.
     */
    static List<TokenWindow> transformersWindows(Tokenized text, TextTokenizer tokenizer) {
        List<TokenWindow> all = text.windows();
        if (all.size() < 2) {
            return all;
        }
        int perWindow = all.get(0).contentTokens();
        int step = perWindow - tokenizer.stride();
        int end = prefixEnd(new CodePoints(text.text()), all, tokenizer.maxLength() - 1, step, tokenizer);
        List<TokenWindow> used = new ArrayList<>();
        for (int w = 0; w < all.size(); w++) {
            int start = w * step;
            int stop = Math.min(start + perWindow, end);
            used.add(stop - start == all.get(w).contentTokens() ? all.get(w) : keepContent(all.get(w), stop - start));
            if (stop == end) {
                break;
            }
        }
        return List.copyOf(used);
    }

    /**
     * Number of content tokens up to the end of the word holding content token {@code index} of the whole
     * text, or of the first word after it when it was matched from the added vocabulary (all tokens when the
     * text has fewer), given windows that start every {@code step} content tokens.
     */
    private static int prefixEnd(CodePoints text, List<TokenWindow> windows, int index, int step,
                                 TextTokenizer tokenizer) {
        List<Integer> words = new ArrayList<>(); // word of each content token of the whole text
        List<Boolean> added = new ArrayList<>();
        for (int w = 0; w < windows.size(); w++) {
            TokenWindow window = windows.get(w);
            int position = w * step;
            for (int i = 0; i < window.length(); i++) {
                if (!window.special()[i]) {
                    if (position == words.size()) {
                        words.add(window.words()[i]);
                        added.add(tokenizer.isAddedToken(window.ids()[i],
                                text.slice(window.starts()[i], window.ends()[i])));
                    }
                    position++;
                }
            }
        }
        int at = index;
        while (at < words.size() && added.get(at)) {
            at++;
        }
        if (at >= words.size()) {
            return words.size();
        }
        int word = words.get(at);
        int end = at + 1;
        while (word >= 0 && end < words.size() && words.get(end) == word) {
            end++;
        }
        return end;
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
        int[] words = new int[size];
        for (int i = 0, j = 0; i < n; i++) {
            if (kept[i]) {
                ids[j] = w.ids()[i];
                types[j] = w.typeIds()[i];
                tokens[j] = w.tokens()[i];
                special[j] = w.special()[i];
                starts[j] = w.starts()[i];
                ends[j] = w.ends()[i];
                words[j] = w.words()[i];
                j++;
            }
        }
        return new TokenWindow(ids, types, tokens, special, starts, ends, words);
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
