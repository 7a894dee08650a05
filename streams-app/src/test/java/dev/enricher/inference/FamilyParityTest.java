package dev.enricher.inference;

import static dev.enricher.inference.GoldenParityTest.CPU;
import static dev.enricher.inference.GoldenParityTest.assertEntities;
import static dev.enricher.inference.GoldenParityTest.assertScores;
import static dev.enricher.inference.GoldenParityTest.cases;
import static dev.enricher.inference.GoldenParityTest.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.TestModels;
import dev.enricher.tokenize.Tokenized;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The tokenizer families (byte-level BPE, SentencePiece Unigram, cased and uncased WordPiece; models with and
 * without {@code token_type_ids}): what the transformers 5.17 pipelines answered for the bundles of
 * {@code models/families/} ({@code models/tools/make_family_fixtures.py}), reproduced from their ONNX files.
 * Token ids, labels, groups, words, start and end equal; scores within 1e-4.
 */
class FamilyParityTest {
    private static final Map<String, Integer> COMPARED = new TreeMap<>();

    @AfterAll
    static void report() {
        COMPARED.forEach((bundle, n) -> System.out.println("family parity: " + bundle + " compared " + n
                + " pipeline outputs with transformers 5.17"));
    }

    @TestFactory
    Stream<DynamicTest> everyFamilyBundleMatchesTransformers() throws IOException, URISyntaxException {
        Path dir = Path.of(getClass().getResource("/golden/families").toURI());
        List<Path> files;
        try (Stream<Path> listed = Files.list(dir)) {
            files = listed.filter(p -> p.getFileName().toString().endsWith(".json"))
                    .filter(p -> !p.getFileName().toString().startsWith("sentences")).sorted().toList();
        }
        assertTrue(files.size() >= 10, "family vectors found: " + files);
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            JsonNode golden = new ObjectMapper().readTree(file.toFile());
            Path bundle = TestModels.bundle("families/" + golden.get("model").asText());
            boolean tokenClassifier = golden.get("cases").get(0).get("pipeline").has("simple");
            int compared = tokenClassifier ? compareNer(bundle, golden) : compareClassifier(bundle, golden);
            COMPARED.put(golden.get("model").asText(), compared);
        }));
    }

    private static int compareClassifier(Path bundle, JsonNode golden) {
        List<JsonNode> cases = cases(golden);
        List<String> texts = cases.stream().map(c -> c.get("text").asText()).toList();
        int compared = 0;
        for (ClassificationFunction function : ClassificationFunction.values()) {
            try (ClassifierPipeline pipeline = ClassifierPipeline.open(bundle, CPU,
                    new SequenceClassification.Options(function, 0, SequenceClassification.LongText.TRUNCATE),
                    0, BatchLimits.ofSize(8))) {
                List<Tokenized> encoded = pipeline.tokenizer().encodeAll(texts);
                List<SequenceClassification.Result> results = pipeline.predictTokenized(encoded);
                for (int i = 0; i < cases.size(); i++) {
                    JsonNode c = cases.get(i);
                    String where = bundle.getFileName() + " case " + i + " function " + function.id();
                    assertArrayEquals(longs(c.get("input_ids_truncated")), encoded.get(i).first().ids(), where + " ids");
                    assertScores(c.get("pipeline").get(function.id()), results.get(i).scores(), where);
                    compared++;
                }
            }
        }
        return compared;
    }

    private static int compareNer(Path bundle, JsonNode golden) {
        List<JsonNode> cases = cases(golden);
        List<String> texts = cases.stream().map(c -> c.get("text").asText()).toList();
        int compared = 0;
        for (Aggregation aggregation : Aggregation.values()) {
            try (NerPipeline plain = NerPipeline.open(bundle, CPU, TokenClassification.Options.of(aggregation,
                    TokenClassification.Windows.TRUNCATE), 0, BatchLimits.ofSize(8))) {
                List<Tokenized> encoded = plain.tokenizer().encodeAll(texts);
                List<TokenClassification.Result> truncated = plain.predictTokenized(encoded);
                for (int i = 0; i < cases.size(); i++) {
                    JsonNode c = cases.get(i);
                    String where = bundle.getFileName() + " case " + i + " " + aggregation.id();
                    assertArrayEquals(longs(c.get("input_ids_truncated")), encoded.get(i).first().ids(), where + " ids");
                    assertEntities(c.get("pipeline").get(aggregation.id()), truncated.get(i).entities(), where);
                    compared++;
                    if (c.has("stride")) {
                        compared += compareStride(bundle, c, aggregation, where);
                    }
                }
            }
        }
        return compared;
    }

    /** One long text through the windows transformers runs with the case's stride. */
    private static int compareStride(Path bundle, JsonNode c, Aggregation aggregation, String where) {
        int stride = c.get("stride").asInt();
        JsonNode expected = c.get("pipeline_stride").get(aggregation.id());
        assertTrue(expected != null || aggregation == Aggregation.NONE, where + ": no stride answer recorded");
        if (aggregation == Aggregation.NONE) {
            assertTrue(expected == null || expected.has("error"), where + ": transformers refuses none with stride");
            assertThrows(IllegalArgumentException.class, () -> TokenClassification.Options.of(Aggregation.NONE,
                    TokenClassification.Windows.TRANSFORMERS));
            return 0;
        }
        if (expected.has("error")) { // the tokenizer refuses a stride that leaves no room: so do we, at load
            BundleException refused = assertThrows(BundleException.class, () -> NerPipeline.open(bundle, CPU,
                    TokenClassification.Options.of(aggregation, TokenClassification.Windows.TRANSFORMERS), stride,
                    BatchLimits.ofSize(8)).close(), where + " stride " + stride + " must be refused");
            assertTrue(refused.getMessage().contains("stride"), refused.getMessage());
            return 1;
        }
        try (NerPipeline windowed = NerPipeline.open(bundle, CPU, TokenClassification.Options.of(aggregation,
                TokenClassification.Windows.TRANSFORMERS), stride, BatchLimits.ofSize(8))) {
            TokenClassification.Result result = windowed.predict(c.get("text").asText());
            assertEntities(expected, result.entities(), where + " stride " + stride);
        }
        return 1;
    }
}
