package dev.enricher.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Optional;

/**
 * What transformers 5.17 runs for a {@code tokenizer.json}. Its tokenizer classes with their own constructor
 * (BERT, RoBERTa, XLM-RoBERTa, DeBERTa-v2, ...) keep only the vocabulary, the merges, the added tokens and a
 * SentencePiece charsmap from the file, and rebuild the model options, normalizer, pre-tokenizer, decoder and
 * post-processor from the class and the {@code tokenizer_config.json} arguments. A file written by an older
 * release can hold other components; this class rebuilds them the same way, so the service tokenizes as
 * transformers 5.17 does. Stateless.
 */
final class TokenizerClasses {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The constructors reproduced here. */
    enum Recipe { BERT, ROBERTA, XLM_ROBERTA, DEBERTA_V2, AS_WRITTEN }

    /**
     * Class names of {@code tokenizer_class} (without {@code Fast}) and the recipe transformers 5.17 runs: only a
     * class that defines its own {@code __init__} is rebuilt ({@code convert_to_native_format}); aliases of such
     * a class ({@code ElectraTokenizer} is {@code BertTokenizer}) are rebuilt as it is.
     */
    private static final Map<String, Recipe> BY_CLASS = Map.ofEntries(
            Map.entry("BertTokenizer", Recipe.BERT),
            Map.entry("DistilBertTokenizer", Recipe.BERT),
            Map.entry("ElectraTokenizer", Recipe.BERT),
            // Subclasses without their own constructor (ConvBertTokenizer, ...) run tokenizer.json as written.
            Map.entry("ConvBertTokenizer", Recipe.AS_WRITTEN),
            Map.entry("RobertaTokenizer", Recipe.ROBERTA),
            Map.entry("XLMRobertaTokenizer", Recipe.XLM_ROBERTA),
            Map.entry("DebertaV2Tokenizer", Recipe.DEBERTA_V2),
            Map.entry("TokenizersBackend", Recipe.AS_WRITTEN),
            Map.entry("PreTrainedTokenizer", Recipe.AS_WRITTEN));

    /** {@code model_type} of {@code config.json} and its recipe, used when the tokenizer config names no class. */
    private static final Map<String, Recipe> BY_MODEL_TYPE = Map.of(
            "bert", Recipe.BERT, "distilbert", Recipe.BERT, "electra", Recipe.BERT, "convbert", Recipe.BERT,
            "megatron-bert", Recipe.BERT, "roberta", Recipe.ROBERTA, "ibert", Recipe.ROBERTA,
            "xlm-roberta", Recipe.XLM_ROBERTA, "deberta-v2", Recipe.DEBERTA_V2);

    private TokenizerClasses() {}

    /**
     * The class a folder's tokenizer is loaded as: {@code tokenizer_class} of {@code tokenizer_config.json}, else
     * of {@code config.json}, else the default of the model type.
     */
    static String className(JsonNode tokenizerConfig, JsonNode modelConfig) {
        for (JsonNode config : new JsonNode[] {tokenizerConfig, modelConfig}) {
            String name = config.path("tokenizer_class").asText("");
            if (!name.isEmpty()) {
                return name;
            }
        }
        return switch (BY_MODEL_TYPE.getOrDefault(modelConfig.path("model_type").asText(""), Recipe.AS_WRITTEN)) {
            case BERT -> "BertTokenizer";
            case ROBERTA -> "RobertaTokenizer";
            case XLM_ROBERTA -> "XLMRobertaTokenizer";
            case DEBERTA_V2 -> "DebertaV2Tokenizer";
            case AS_WRITTEN -> "TokenizersBackend";
        };
    }

    /** The recipe of a class, empty when transformers rebuilds it in a way not reproduced here. */
    static Optional<Recipe> recipe(String className) {
        String base = className.endsWith("Fast") ? className.substring(0, className.length() - 4) : className;
        return Optional.ofNullable(BY_CLASS.get(base));
    }

    /**
     * The tokenizer spec transformers 5.17 runs: a copy of {@code spec} with the class's components.
     *
     * @param config the class's arguments: {@code tokenizer_config.json}, empty when absent
     * @throws IllegalArgumentException naming the key when a special token the class needs has no id (transformers
     *     would add it as a new token, which the model has no embedding for)
     */
    static ObjectNode rebuild(JsonNode spec, JsonNode config, Recipe recipe) {
        ObjectNode out = spec.deepCopy();
        if (recipe == Recipe.AS_WRITTEN) {
            return out;
        }
        Arguments args = new Arguments(config);
        JsonNode model = out.path("model");
        switch (recipe) {
            case BERT -> {
                String unk = args.token("unk_token", "[UNK]");
                String cls = args.token("cls_token", "[CLS]");
                String sep = args.token("sep_token", "[SEP]");
                out.set("model", object("type", "WordPiece").put("unk_token", unk)
                        .put("continuing_subword_prefix", "##").put("max_input_chars_per_word", 100)
                        .set("vocab", model.path("vocab")));
                ObjectNode normalizer = object("type", "BertNormalizer").put("clean_text", true)
                        .put("handle_chinese_chars", args.flag("tokenize_chinese_chars", true))
                        .put("lowercase", args.flag("do_lower_case", true));
                normalizer.set("strip_accents", config.path("strip_accents").isBoolean()
                        ? config.get("strip_accents") : NODES.nullNode());
                out.set("normalizer", normalizer);
                out.set("pre_tokenizer", object("type", "BertPreTokenizer"));
                out.set("decoder", object("type", "WordPiece").put("prefix", "##").put("cleanup", true));
                out.set("post_processor", template(cls, required(spec, "cls_token", cls), sep,
                        required(spec, "sep_token", sep), true));
            }
            case ROBERTA -> {
                boolean prefixSpace = args.flag("add_prefix_space", false);
                boolean trimOffsets = args.flag("trim_offsets", true);
                String cls = args.token("cls_token", "<s>");
                String sep = args.token("sep_token", "</s>");
                ObjectNode bpe = object("type", "BPE");
                bpe.putNull("dropout");
                bpe.putNull("unk_token");
                bpe.put("continuing_subword_prefix", "").put("end_of_word_suffix", "").put("fuse_unk", false)
                        .put("byte_fallback", false).put("ignore_merges", false);
                bpe.set("vocab", model.path("vocab"));
                bpe.set("merges", model.path("merges"));
                out.set("model", bpe);
                out.putNull("normalizer");
                out.set("pre_tokenizer", object("type", "ByteLevel").put("add_prefix_space", prefixSpace)
                        .put("trim_offsets", true).put("use_regex", true));
                out.set("decoder", object("type", "ByteLevel").put("add_prefix_space", true)
                        .put("trim_offsets", true).put("use_regex", true));
                ObjectNode post = object("type", "RobertaProcessing");
                post.set("sep", NODES.arrayNode().add(sep).add(required(spec, "sep_token", sep)));
                post.set("cls", NODES.arrayNode().add(cls).add(required(spec, "cls_token", cls)));
                post.put("trim_offsets", trimOffsets).put("add_prefix_space", prefixSpace);
                out.set("post_processor", post);
            }
            case XLM_ROBERTA -> {
                String scheme = args.flag("add_prefix_space", true) ? "always" : "never";
                out.set("model", unigram(model, 3));
                out.set("normalizer", precompiled(out.path("normalizer")).orElse(NODES.nullNode()));
                ArrayNode pre = NODES.arrayNode().add(object("type", "WhitespaceSplit")).add(metaspace(scheme));
                out.set("pre_tokenizer", object("type", "Sequence").set("pretokenizers", pre));
                out.set("decoder", metaspace(scheme));
                String bos = args.token("bos_token", "<s>");
                String eos = args.token("eos_token", "</s>");
                out.set("post_processor", template(bos, required(spec, "bos_token", bos), eos,
                        required(spec, "eos_token", eos), false));
            }
            case DEBERTA_V2 -> {
                String unk = args.token("unk_token", "[UNK]");
                String scheme = args.flag("add_prefix_space", true) ? "always" : "first";
                out.set("model", unigram(model, debertaUnkId(model, unk, config.path("unk_id").asInt(1))));
                ArrayNode normalizers = NODES.arrayNode();
                if (args.flag("do_lower_case", false)) {
                    normalizers.add(object("type", "Lowercase"));
                }
                ObjectNode whitespace = object("type", "Replace").put("content", " ");
                whitespace.set("pattern", object("Regex", "\\s{2,}|[\\n\\r\\t]"));
                normalizers.add(whitespace).add(object("type", "NFC"))
                        .add(object("type", "Strip").put("strip_left", false).put("strip_right", true));
                out.set("normalizer", object("type", "Sequence").set("normalizers", normalizers));
                ArrayNode pre = NODES.arrayNode();
                if (args.flag("split_by_punct", false)) {
                    pre.add(object("type", "Punctuation").put("behavior", "Isolated"));
                }
                pre.add(metaspace(scheme));
                out.set("pre_tokenizer", object("type", "Sequence").set("pretokenizers", pre));
                out.set("decoder", metaspace(scheme));
                String cls = args.token("cls_token", "[CLS]");
                String sep = args.token("sep_token", "[SEP]");
                out.set("post_processor", template(cls, required(spec, "cls_token", cls), sep,
                        required(spec, "sep_token", sep), true));
            }
            default -> throw new IllegalStateException(recipe.name());
        }
        return out;
    }

    /** The class's constructor arguments, as transformers reads them from {@code tokenizer_config.json}. */
    private record Arguments(JsonNode config) {
        boolean flag(String key, boolean otherwise) {
            JsonNode v = config.path(key);
            return v.isBoolean() ? v.asBoolean() : otherwise;
        }

        String token(String key, String otherwise) {
            return specialToken(config, key).orElse(otherwise);
        }
    }

    /** A special token of a tokenizer config: a string, or an AddedToken saved as {@code {"content": ...}}. */
    static Optional<String> specialToken(JsonNode config, String key) {
        JsonNode v = config.path(key);
        if (v.isObject()) {
            v = v.path("content");
        }
        return v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
    }

    /** The unknown token a class uses when its config names none. */
    static Optional<String> defaultUnkToken(Recipe recipe) {
        return switch (recipe) {
            case BERT, DEBERTA_V2 -> Optional.of("[UNK]");
            case ROBERTA, XLM_ROBERTA -> Optional.of("<unk>");
            case AS_WRITTEN -> Optional.empty();
        };
    }

    /** The id of a special token the class's post-processor needs. */
    private static int required(JsonNode spec, String key, String token) {
        long id = idOf(spec, token);
        if (id < 0) {
            throw new IllegalArgumentException(key + " '" + token + "' (tokenizer_config.json, or the class default) "
                    + "is neither an added token nor in the vocabulary of tokenizer.json");
        }
        return (int) id; // vocabulary ids fit an int, as tokenizer.json stores them
    }

    private static ObjectNode object(String key, String value) {
        return NODES.objectNode().put(key, value);
    }

    private static ObjectNode unigram(JsonNode model, int unkId) {
        ObjectNode unigram = object("type", "Unigram").put("unk_id", unkId);
        unigram.set("vocab", model.path("vocab"));
        unigram.put("byte_fallback", false);
        return unigram;
    }

    private static ObjectNode metaspace(String prependScheme) {
        return object("type", "Metaspace").put("replacement", "\u2581").put("prepend_scheme", prependScheme)
                .put("split", true);
    }

    /** The file's SentencePiece charsmap normalizer, alone or directly inside a sequence, as transformers finds it. */
    private static Optional<JsonNode> precompiled(JsonNode normalizer) {
        JsonNode[] candidates = normalizer.path("type").asText("").equals("Sequence")
                ? iterable(normalizer.path("normalizers")) : new JsonNode[] {normalizer};
        for (JsonNode n : candidates) {
            if (n.path("type").asText("").equals("Precompiled") && n.has("precompiled_charsmap")) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    private static JsonNode[] iterable(JsonNode array) {
        JsonNode[] out = new JsonNode[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i);
        }
        return out;
    }

    /** DeBERTa-v2's unknown id: the position of {@code (unk_token, 0.0)} in the vocabulary, else its argument. */
    private static int debertaUnkId(JsonNode model, String unk, int otherwise) {
        JsonNode vocab = model.path("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            JsonNode entry = vocab.get(i);
            if (unk.equals(entry.path(0).asText(null)) && entry.path(1).asDouble(-1) == 0.0) {
                return i;
            }
        }
        return otherwise;
    }

    /** A template {@code first $A last} (pair: {@code first $A last [last] $B last}) as the classes build it. */
    private static ObjectNode template(String first, int firstId, String last, int lastId, boolean bertPair) {
        ArrayNode single = NODES.arrayNode().add(special(first, 0)).add(sequence("A", 0)).add(special(last, 0));
        ArrayNode pair = NODES.arrayNode().add(special(first, 0)).add(sequence("A", 0)).add(special(last, 0));
        if (bertPair) {
            pair.add(sequence("B", 1)).add(special(last, 1));
        } else {
            pair.add(special(last, 0)).add(sequence("B", 0)).add(special(last, 0));
        }
        ObjectNode specials = NODES.objectNode();
        specials.set(first, specialToken(first, firstId));
        specials.set(last, specialToken(last, lastId));
        ObjectNode template = object("type", "TemplateProcessing");
        template.set("single", single);
        template.set("pair", pair);
        template.set("special_tokens", specials);
        return template;
    }

    private static ObjectNode special(String token, int typeId) {
        return NODES.objectNode().set("SpecialToken", object("id", token).put("type_id", typeId));
    }

    private static ObjectNode sequence(String id, int typeId) {
        return NODES.objectNode().set("Sequence", object("id", id).put("type_id", typeId));
    }

    private static ObjectNode specialToken(String token, int id) {
        ObjectNode node = object("id", token);
        node.set("ids", NODES.arrayNode().add(id));
        node.set("tokens", NODES.arrayNode().add(token));
        return node;
    }

    /** The id of a token as transformers finds it: added tokens first, then the vocabulary; -1 when absent. */
    static long idOf(JsonNode spec, String token) {
        for (JsonNode added : spec.path("added_tokens")) {
            if (token.equals(added.path("content").asText(null))) {
                return added.path("id").asLong(-1);
            }
        }
        JsonNode vocab = spec.path("model").path("vocab");
        if (vocab.isArray()) { // Unigram: [piece, score] pairs, the id is the position
            for (int i = 0; i < vocab.size(); i++) {
                if (token.equals(vocab.get(i).path(0).asText(null))) {
                    return i;
                }
            }
            return -1;
        }
        return vocab.path(token).asLong(-1);
    }
}
