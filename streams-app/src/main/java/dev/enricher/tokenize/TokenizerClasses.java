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
public final class TokenizerClasses {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The constructors reproduced here. */
    public enum Recipe { BERT, ROBERTA, XLM_ROBERTA, DEBERTA_V2, AS_WRITTEN }

    /** Class names of {@code tokenizer_class} (without {@code Fast}) and the recipe transformers 5.17 runs. */
    private static final Map<String, Recipe> BY_CLASS = Map.ofEntries(
            Map.entry("BertTokenizer", Recipe.BERT),
            Map.entry("DistilBertTokenizer", Recipe.BERT),
            Map.entry("ElectraTokenizer", Recipe.BERT),
            Map.entry("ConvBertTokenizer", Recipe.BERT),
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

    /** The class a folder's tokenizer is loaded as: {@code tokenizer_class}, else the model type's default. */
    public static String className(JsonNode tokenizerConfig, String modelType) {
        String name = tokenizerConfig.path("tokenizer_class").asText("");
        if (!name.isEmpty()) {
            return name;
        }
        return switch (BY_MODEL_TYPE.getOrDefault(modelType, Recipe.AS_WRITTEN)) {
            case BERT -> "BertTokenizer";
            case ROBERTA -> "RobertaTokenizer";
            case XLM_ROBERTA -> "XLMRobertaTokenizer";
            case DEBERTA_V2 -> "DebertaV2Tokenizer";
            case AS_WRITTEN -> "TokenizersBackend";
        };
    }

    /** The recipe of a class, empty when transformers rebuilds it in a way not reproduced here. */
    public static Optional<Recipe> recipe(String className) {
        String base = className.endsWith("Fast") ? className.substring(0, className.length() - 4) : className;
        return Optional.ofNullable(BY_CLASS.get(base));
    }

    /**
     * The tokenizer spec transformers 5.17 runs: a copy of {@code spec} with the class's components.
     *
     * @param config the {@code tokenizer_config.json} object (the class's arguments), empty when absent
     */
    public static ObjectNode rebuild(JsonNode spec, JsonNode config, Recipe recipe) {
        ObjectNode out = spec.deepCopy();
        if (recipe == Recipe.AS_WRITTEN) {
            return out;
        }
        Arguments args = new Arguments(config);
        JsonNode model = spec.path("model");
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
                out.set("post_processor", template(spec, cls, orDefault(idOf(spec, cls), 2), sep,
                        orDefault(idOf(spec, sep), 3), true));
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
                post.set("sep", NODES.arrayNode().add(sep).add((int) idOf(spec, sep)));
                post.set("cls", NODES.arrayNode().add(cls).add((int) idOf(spec, cls)));
                post.put("trim_offsets", trimOffsets).put("add_prefix_space", prefixSpace);
                out.set("post_processor", post);
            }
            case XLM_ROBERTA -> {
                String scheme = args.flag("add_prefix_space", true) ? "always" : "never";
                out.set("model", unigram(model, 3));
                out.set("normalizer", precompiled(spec.path("normalizer")).orElse(NODES.nullNode()));
                ArrayNode pre = NODES.arrayNode().add(object("type", "WhitespaceSplit")).add(metaspace(scheme));
                out.set("pre_tokenizer", object("type", "Sequence").set("pretokenizers", pre));
                out.set("decoder", metaspace(scheme));
                String bos = args.token("bos_token", "<s>");
                String eos = args.token("eos_token", "</s>");
                out.set("post_processor", template(spec, bos, idOf(spec, bos), eos, idOf(spec, eos), false));
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
                out.set("post_processor", template(spec, cls, orDefault(idOf(spec, cls), 0), sep,
                        orDefault(idOf(spec, sep), 0), true));
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

        /** A special token: a string, or an AddedToken saved as {@code {"content": ...}}. */
        String token(String key, String otherwise) {
            JsonNode v = config.path(key);
            if (v.isTextual()) {
                return v.asText();
            }
            return v.isObject() && v.path("content").isTextual() ? v.get("content").asText() : otherwise;
        }
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

    /** The file's SentencePiece charsmap normalizer, alone or inside a sequence. */
    private static Optional<JsonNode> precompiled(JsonNode normalizer) {
        if (normalizer.path("type").asText("").equals("Precompiled") && normalizer.has("precompiled_charsmap")) {
            return Optional.of(normalizer);
        }
        for (JsonNode n : normalizer.path("normalizers")) {
            Optional<JsonNode> found = precompiled(n);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
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
    private static ObjectNode template(JsonNode spec, String first, long firstId, String last, long lastId,
                                       boolean bertPair) {
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

    private static ObjectNode specialToken(String token, long id) {
        ObjectNode node = object("id", token);
        node.set("ids", NODES.arrayNode().add((int) id)); // ids fit an int; JSON nodes compare by type
        node.set("tokens", NODES.arrayNode().add(token));
        return node;
    }

    private static long orDefault(long id, long otherwise) {
        return id >= 0 ? id : otherwise;
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
