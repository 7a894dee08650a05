package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.enricher.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each broken bundle fails at load with a message naming the file and the problem. */
class BrokenBundleTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final InferenceSettings CPU = InferenceSettings.cpu(1);

    @TempDir
    Path temp;

    @Test
    void missingModelFile() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        Files.delete(dir.resolve("model.onnx"));
        assertFailure(dir, "tiny-sentiment", "no model file: looked for model.onnx, model_quantized.onnx, "
                + "model_fp16.onnx in the bundle folder and in its onnx/ folder, found no .onnx file");
    }

    @Test
    void corruptModelFile() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        Files.write(dir.resolve("model.onnx"), "this is not an ONNX model".getBytes());
        assertFailure(dir, "model.onnx", "ONNX Runtime cannot load it as a model");
    }

    @Test
    void truncatedModelFile() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        byte[] bytes = Files.readAllBytes(dir.resolve("model.onnx"));
        Files.write(dir.resolve("model.onnx"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertFailure(dir, "model.onnx", "ONNX Runtime cannot load it as a model");
    }

    @Test
    void configWithoutId2label() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.remove("id2label");
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        assertFailure(dir, "config.json", "expected an 'id2label' object");
    }

    @Test
    void labelCountMismatch() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        ((ObjectNode) config.get("id2label")).remove("2");
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        assertFailure(dir, "model.onnx", "output 'logits' has 3 labels but config.json id2label has 2");
    }

    @Test
    void unexpectedInputNames() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        try (var in = BrokenBundleTest.class.getResourceAsStream("/broken/renamed-inputs.onnx")) {
            Files.copy(in, dir.resolve("model.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertFailure(dir, "model.onnx", "expected inputs input_ids, attention_mask and optionally token_type_ids, "
                + "found [ids, mask]");
    }

    @Test
    void missingTokenizer() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        Files.delete(dir.resolve("tokenizer.json"));
        assertFailure(dir, "tokenizer.json", "file is missing");
    }

    @Test
    void corruptTokenizer() throws IOException {
        Path dir = copyOf(TestModels.SENTIMENT);
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": 42}");
        BundleException e = assertThrows(BundleException.class, () -> ClassifierPipeline.open(dir, CPU,
                new SequenceClassification.Options(ClassificationFunction.DEFAULT, 0,
                        SequenceClassification.LongText.TRUNCATE), 32, BatchLimits.ofSize(8)));
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void notAFolder() {
        assertFailure(temp.resolve("no-such-bundle"), "no-such-bundle", "expected a model bundle folder");
    }

    @Test
    void wrongTaskForThePipeline() {
        BundleException e = assertThrows(BundleException.class, () -> NerPipeline.open(
                TestModels.bundle(TestModels.SENTIMENT), CPU,
                TokenClassification.Options.of(Aggregation.SIMPLE, TokenClassification.Windows.TRUNCATE), 32,
                BatchLimits.ofSize(8)));
        assertTrue(e.getMessage().contains("expected a token classifier (logits of rank 3), found a sequence "
                + "classifier"), e.getMessage());
    }

    private void assertFailure(Path dir, String file, String problem) {
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir, CPU));
        System.out.println("broken bundle: " + e.getMessage());
        assertTrue(e.getMessage().contains(file), "names " + file + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(problem), "says '" + problem + "': " + e.getMessage());
    }

    private Path copyOf(String bundle) throws IOException {
        Path dir = temp.resolve(bundle);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(TestModels.bundle(bundle))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        assertEquals(4, Files.list(dir).count());
        return dir;
    }
}
