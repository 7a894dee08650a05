package dev.enricher.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.enricher.TestModels;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokenizer files as older transformers releases wrote them are tokenized as transformers 5.17 tokenizes them:
 * with the components its class rebuilds ({@code models/tools/make_legacy_tokenizer_vectors.py}).
 */
class TokenizerClassesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LENGTH = 64;

    @TempDir
    Path temp;

    private static Path legacy() throws URISyntaxException {
        return Path.of(TokenizerClassesTest.class.getResource("/tokenize/legacy").toURI());
    }

    private static String tokens(TokenWindow w) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < w.length(); i++) {
            s.append(w.ids()[i]).append('@').append(w.special()[i] ? 0 : w.starts()[i]).append('-')
                    .append(w.special()[i] ? 0 : w.ends()[i]).append(' ');
        }
        return s.toString();
    }

    private static String expected(JsonNode c) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < c.get("ids").size(); i++) {
            JsonNode offsets = c.get("offsets").get(i);
            s.append(c.get("ids").get(i).asLong()).append('@').append(offsets.get(0).asInt()).append('-')
                    .append(offsets.get(1).asInt()).append(' ');
        }
        return s.toString();
    }

    @Test
    void olderFilesTokenizeAsTransformers5RebuildsThem() throws Exception {
        JsonNode vectors = JSON.readTree(legacy().resolve("vectors.json").toFile());
        Map<String, Integer> differentAsWritten = new HashMap<>();
        int compared = 0;
        for (JsonNode c : vectors.get("cases")) {
            String folder = c.get("folder").asText();
            String text = c.get("text").asText();
            Path file = legacy().resolve(folder).resolve("tokenizer.json");
            try (TextTokenizer rebuilt = TextTokenizer.load(file, MAX_LENGTH, 0);
                 TextTokenizer asWritten = TextTokenizer.load(alone(file, folder), MAX_LENGTH, 0)) {
                assertEquals(c.get("tokenizer_class").asText(), rebuilt.className(), folder);
                assertEquals(expected(c), tokens(rebuilt.encode(text).first()), folder + ": " + text);
                if (!expected(c).equals(tokens(asWritten.encode(text).first()))) {
                    differentAsWritten.merge(folder, 1, Integer::sum);
                }
                compared++;
            }
        }
        // The fixtures matter: read as written, each folder's file tokenizes some text otherwise.
        for (String folder : List.of("xlmr", "deberta", "roberta", "bert-cased", "distilbert")) {
            assertTrue(differentAsWritten.getOrDefault(folder, 0) > 0, folder + " fixture changes nothing");
        }
        System.out.println("older tokenizer files: " + compared + " texts as transformers "
                + vectors.get("transformers").asText() + " tokenizes them; as written, " + differentAsWritten
                + " would differ");
    }

    /** A copy of the tokenizer file alone in a folder: no class to rebuild from, so it runs as written. */
    private Path alone(Path file, String folder) throws IOException {
        Path copy = temp.resolve(folder).resolve("tokenizer.json");
        if (!Files.exists(copy)) {
            Files.createDirectories(copy.getParent());
            Files.copy(file, copy);
        }
        return copy;
    }

    @Test
    void filesTransformers5WroteAreRebuiltUnchanged() throws IOException {
        List<Path> bundles;
        try (Stream<Path> listed = Files.list(TestModels.modelsDir().resolve("families"))) {
            bundles = listed.filter(p -> Files.isRegularFile(p.resolve("tokenizer.json"))).sorted().toList();
        }
        assertTrue(bundles.size() >= 10, "family bundles: " + bundles);
        for (Path bundle : bundles) {
            JsonNode spec = JSON.readTree(bundle.resolve("tokenizer.json").toFile());
            JsonNode config = JSON.readTree(bundle.resolve("tokenizer_config.json").toFile());
            JsonNode modelConfig = JSON.readTree(bundle.resolve("config.json").toFile());
            TokenizerClasses.Recipe recipe = TokenizerClasses.recipe(TokenizerClasses.className(config, modelConfig))
                    .orElseThrow();
            assertTrue(recipe != TokenizerClasses.Recipe.AS_WRITTEN, bundle + " has a class recipe");
            ObjectNode rebuilt = TokenizerClasses.rebuild(spec, config, recipe);
            for (String component : List.of("normalizer", "pre_tokenizer", "decoder", "post_processor", "model")) {
                assertEquals(spec.get(component), rebuilt.get(component), bundle.getFileName() + " " + component);
            }
        }
    }

    /** A copy of a legacy folder with its tokenizer_config.json edited; returns its tokenizer.json. */
    private Path withConfig(String folder, String key, Object value) throws Exception {
        Path dir = Files.createDirectories(temp.resolve(folder + "-" + key));
        for (String file : List.of("tokenizer.json", "config.json", "tokenizer_config.json")) {
            Files.copy(legacy().resolve(folder).resolve(file), dir.resolve(file));
        }
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        config.set(key, JSON.valueToTree(value));
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        return dir.resolve("tokenizer.json");
    }

    @Test
    void aSubclassWithoutItsOwnConstructorRunsTheFileAsWritten() throws Exception {
        // transformers rebuilds only classes defining __init__: ConvBertTokenizer keeps the file's normalizer,
        // which (in this older file) disagrees with do_lower_case.
        Path file = withConfig("bert-cased", "tokenizer_class", "ConvBertTokenizer");
        try (TextTokenizer convBert = TextTokenizer.load(file, MAX_LENGTH, 0);
             TextTokenizer asWritten = TextTokenizer.load(alone(legacy().resolve("bert-cased/tokenizer.json"),
                     "bert-cased"), MAX_LENGTH, 0);
             TextTokenizer bert = TextTokenizer.load(legacy().resolve("bert-cased/tokenizer.json"), MAX_LENGTH, 0)) {
            String text = "Angela Merkel visited Berlin.";
            assertEquals("ConvBertTokenizer", convBert.className());
            assertArrayEquals(asWritten.encode(text).first().ids(), convBert.encode(text).first().ids());
            assertTrue(!java.util.Arrays.equals(bert.encode(text).first().ids(), convBert.encode(text).first().ids()),
                    "the fixture's file and class disagree");
        }
    }

    @Test
    void aSpecialTokenTheVocabularyLacksFailsNamingTheKey() throws Exception {
        Path file = withConfig("xlmr", "bos_token", "<start>");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> TextTokenizer.load(file, MAX_LENGTH, 0));
        assertTrue(e.getMessage().contains("bos_token '<start>'") && e.getMessage().contains("XLMRobertaTokenizer")
                && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void tokensAreSharedOnlyBetweenTokenizersThatEncodeAlike() throws Exception {
        Path cased = legacy().resolve("bert-cased/tokenizer.json");
        Path lowerCased = withConfig("bert-cased", "do_lower_case", true);
        try (TextTokenizer a = TextTokenizer.load(cased, MAX_LENGTH, 0);
             TextTokenizer sameFileSameClass = TextTokenizer.load(cased, MAX_LENGTH, 0);
             TextTokenizer otherArguments = TextTokenizer.load(lowerCased, MAX_LENGTH, 0);
             TextTokenizer otherStride = TextTokenizer.load(cased, MAX_LENGTH, 8)) {
            assertTrue(a.encodesLike(sameFileSameClass));
            assertTrue(!a.encodesLike(otherArguments), "same tokenizer.json, other do_lower_case");
            assertTrue(!a.encodesLike(otherStride));
        }
    }
}
