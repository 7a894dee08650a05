package dev.enricher.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face {@code tokenizer.json} loaded with DJL's tokenizers binding, with the padding and truncation
 * baked into the file overridden: no padding (tensors are padded per batch), truncation to {@code maxLength}
 * with overflowing windows that overlap by {@code stride} tokens.
 *
 * <p>Owns one native tokenizer, released by {@link #close()} (idempotent). Thread-safe: encoding may run on
 * many threads at once. Never hands out native handles.
 */
public final class TextTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(TextTokenizer.class);

    static {
        // DJL must never reach the network: no model-zoo downloads, no usage tracking (it probes the EC2
        // metadata address otherwise). Its native tokenizer library ships inside the jar.
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final int stride;
    private final long unkTokenId;
    private final boolean wordAware;
    private final Optional<TokensToString> tokensToString;
    private final String decoderProblem;
    private final String className;
    /** The tokenizer spec the native tokenizer was built from (after the class rebuild); never mutated. */
    private final JsonNode spec;
    /** Content of each added-vocabulary token, by id. */
    private final Map<Long, String> addedTokens;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, int stride, JsonNode spec,
                          Optional<String> configuredUnkToken, String className) {
        this.tokenizer = tokenizer;
        this.className = className;
        this.spec = spec;
        this.maxLength = maxLength;
        this.stride = stride;
        JsonNode model = spec.path("model");
        this.unkTokenId = unkTokenId(spec, configuredUnkToken);
        Map<Long, String> added = new HashMap<>();
        for (JsonNode token : spec.path("added_tokens")) {
            added.put(token.path("id").asLong(), token.path("content").asText());
        }
        this.addedTokens = Map.copyOf(added);
        this.wordAware = !model.path("continuing_subword_prefix").asText("").isEmpty();
        TokensToString joiner = null;
        String problem = null;
        try {
            joiner = TokensToString.forDecoder(spec.get("decoder"));
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
        }
        this.tokensToString = Optional.ofNullable(joiner);
        this.decoderProblem = problem;
    }

    /**
     * Loads {@code tokenizer.json} as transformers 5.17 runs it: with the components its tokenizer class (from the
     * {@code tokenizer_config.json} and {@code config.json} beside it) builds, see {@link TokenizerClasses}.
     *
     * @param maxLength tokens per window, special tokens included
     * @param stride overlap of consecutive windows in tokens; must leave room for progress
     * @throws IOException when the file cannot be read or is not a tokenizer the native library accepts
     */
    public static TextTokenizer load(Path tokenizerJson, int maxLength, int stride) throws IOException {
        if (maxLength < 3) {
            throw new IllegalArgumentException("maximum length must be at least 3 tokens, got " + maxLength);
        }
        if (stride < 0 || stride >= maxLength - 2) {
            throw new IllegalArgumentException("stride must be between 0 and " + (maxLength - 3)
                    + " (maximum length " + maxLength + " minus special tokens), got " + stride);
        }
        JsonNode written = readJson(tokenizerJson);
        JsonNode config = classArguments(tokenizerJson);
        String className = TokenizerClasses.className(config,
                readJsonIfPresent(tokenizerJson.resolveSibling("config.json")));
        Optional<TokenizerClasses.Recipe> recipe = TokenizerClasses.recipe(className);
        if (recipe.isEmpty()) {
            LOG.warn("{}: tokenizer class {} is used as tokenizer.json describes it; transformers 5.17 rebuilds its "
                    + "normalizer, pre-tokenizer and decoder from the class, which Enricher reproduces only for the "
                    + "BERT, DistilBERT, ELECTRA, RoBERTa, XLM-RoBERTa and DeBERTa-v2 classes: tokens may differ from "
                    + "transformers' if the file was written by an older release", tokenizerJson, className);
        }
        TokenizerClasses.Recipe used = recipe.orElse(TokenizerClasses.Recipe.AS_WRITTEN);
        JsonNode spec;
        try {
            spec = TokenizerClasses.rebuild(written, config, used);
        } catch (IllegalArgumentException e) {
            throw new IOException(tokenizerJson + ": as tokenizer class " + className + ": " + e.getMessage(), e);
        }
        Optional<String> unkToken = TokenizerClasses.specialToken(config, "unk_token")
                .or(() -> TokenizerClasses.defaultUnkToken(used));
        Map<String, String> options = Map.of("padding", "false", "truncation", "true",
                "maxLength", Integer.toString(maxLength), "stride", Integer.toString(stride),
                "withOverflowingTokens", "true", "addSpecialTokens", "true");
        HuggingFaceTokenizer native_;
        try {
            native_ = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(JSON.writeValueAsBytes(spec)), options);
        } catch (RuntimeException e) {
            throw new IOException(tokenizerJson + ": the tokenizers library rejected it (as tokenizer class "
                    + className + "): " + e.getMessage(), e);
        }
        return new TextTokenizer(native_, maxLength, stride, spec, unkToken, className);
    }

    private static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not readable JSON: " + e.getMessage(), e);
        }
    }

    /** The file's JSON object, or an empty object when there is no such file. */
    private static JsonNode readJsonIfPresent(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        JsonNode node = readJson(file);
        if (!node.isObject()) {
            throw new IOException(file + ": expected a JSON object");
        }
        return node;
    }

    /**
     * The tokenizer class's arguments as transformers reads them: {@code tokenizer_config.json}, whose special
     * tokens {@code special_tokens_map.json} overrides when the config has no {@code added_tokens_decoder}.
     */
    private static JsonNode classArguments(Path tokenizerJson) throws IOException {
        ObjectNode config = (ObjectNode) readJsonIfPresent(tokenizerJson.resolveSibling("tokenizer_config.json"));
        JsonNode specialTokens = readJsonIfPresent(tokenizerJson.resolveSibling("special_tokens_map.json"));
        if (!config.has("added_tokens_decoder")) {
            specialTokens.fields().forEachRemaining(e -> config.set(e.getKey(), e.getValue()));
        }
        return config;
    }

    /**
     * The id of the unknown token: the configured token looked up as transformers does (added tokens, then the
     * vocabulary), else the model's own ({@code unk_token} of WordPiece and BPE, {@code unk_id} of Unigram).
     */
    private static long unkTokenId(JsonNode spec, Optional<String> configured) {
        if (configured.isPresent()) {
            long id = TokenizerClasses.idOf(spec, configured.get());
            if (id >= 0) {
                return id;
            }
        }
        JsonNode model = spec.path("model");
        if (model.hasNonNull("unk_id")) {
            return model.get("unk_id").asLong(-1);
        }
        String unk = model.path("unk_token").asText(null);
        return unk == null ? -1 : TokenizerClasses.idOf(spec, unk);
    }

    /**
     * True when a token was matched from the added vocabulary (special tokens typed in the text, user-added
     * tokens) rather than made by the model: an added id, and for the unknown token also its own text.
     *
     * @param text the token's span of the original text
     */
    public boolean isAddedToken(long id, String text) {
        String content = addedTokens.get(id);
        return content != null && (id != unkTokenId || content.equals(text));
    }

    /** The transformers tokenizer class this tokenizer reproduces, e.g. {@code XLMRobertaTokenizer}. */
    public String className() {
        return className;
    }

    public int maxLength() {
        return maxLength;
    }

    public int stride() {
        return stride;
    }

    /** Id of the unknown token, or -1 when the model has none. */
    public long unkTokenId() {
        return unkTokenId;
    }

    /** True when the model marks word continuations (e.g. WordPiece's {@code ##}), so words can be rebuilt exactly. */
    public boolean wordAware() {
        return wordAware;
    }

    /**
     * The joiner of this tokenizer's decoder.
     *
     * @throws IllegalStateException naming the decoder when it is not supported
     */
    public TokensToString tokensToString() {
        return tokensToString.orElseThrow(() -> new IllegalStateException(decoderProblem));
    }

    public Tokenized encode(String text) {
        return toTokenized(text, tokenizer.encode(text));
    }

    /**
     * Encodes many texts, in input order, one native call each on the calling thread: the tokenizer's batch call
     * spreads texts over its Rayon pool, whose spinning workers cost more CPU than they save on short texts and
     * compete with the stream threads (see docs/benchmark-results.md, issue 12).
     */
    public List<Tokenized> encodeAll(List<String> texts) {
        List<Tokenized> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            out.add(encode(text));
        }
        return out;
    }

    private static Tokenized toTokenized(String text, Encoding encoding) {
        Encoding[] overflowing = encoding.getOverflowing();
        List<TokenWindow> windows = new ArrayList<>(1 + overflowing.length);
        windows.add(toWindow(encoding));
        for (Encoding o : overflowing) {
            windows.add(toWindow(o));
        }
        return new Tokenized(text, List.copyOf(windows), overflowing.length > 0);
    }

    private static TokenWindow toWindow(Encoding e) {
        long[] ids = e.getIds();
        long[] specialMask = e.getSpecialTokenMask();
        CharSpan[] spans = e.getCharTokenSpans();
        int n = ids.length;
        boolean[] special = new boolean[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        int[] words = new int[n];
        long[] wordIds = e.getWordIds();
        for (int i = 0; i < n; i++) {
            special[i] = specialMask[i] != 0;
            words[i] = special[i] || wordIds == null ? -1 : (int) wordIds[i];
            CharSpan span = spans[i];
            starts[i] = span == null ? -1 : span.getStart();
            ends[i] = span == null ? -1 : span.getEnd();
        }
        return new TokenWindow(ids, e.getTypeIds(), e.getTokens(), special, starts, ends, words);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /**
     * True when both encode every text identically, windows included: the same tokenizer as transformers runs
     * it (file and class arguments), length and stride.
     */
    public boolean encodesLike(TextTokenizer other) {
        return encodesFirstWindowLike(other) && stride == other.stride;
    }

    /** True when both encode every text's first window identically: the same tokenizer and length. */
    public boolean encodesFirstWindowLike(TextTokenizer other) {
        return spec.equals(other.spec) && maxLength == other.maxLength;
    }
}
