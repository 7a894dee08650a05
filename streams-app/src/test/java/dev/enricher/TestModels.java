package dev.enricher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locations of the committed model bundles and reference vectors used by the tests. */
public final class TestModels {
    public static final String SENTIMENT = "tiny-sentiment";
    public static final String MODERATION = "tiny-moderation-multilabel";
    public static final String NER = "tiny-ner";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestModels() {}

    /** The repository's {@code models/} folder (set by the build; {@code ../models} from {@code streams-app/}). */
    public static Path modelsDir() {
        return Path.of(System.getProperty("enricher.models.dir", "../models")).toAbsolutePath().normalize();
    }

    public static Path bundle(String name) {
        return modelsDir().resolve(name);
    }

    public static final String STARTER_SENTIMENT = "starter-sentiment";
    public static final String STARTER_NER = "starter-ner";

    /** A MiniLM starter bundle as the build makes it in prepare-package (so only integration tests have it). */
    public static Path starter(String name) {
        Path dir = bundle("build/" + name);
        if (!Files.isRegularFile(dir.resolve("model.onnx"))) {
            throw new IllegalStateException(dir + " is missing: the build makes it in prepare-package "
                    + "(models/tools/build_minilm_bundles.sh)");
        }
        return dir;
    }

    /** {@code golden/<bundle>.dev.json}: what the transformers 5.17 pipelines answered for each dev sentence. */
    public static JsonNode golden(String bundle) {
        try (InputStream in = TestModels.class.getResourceAsStream("/golden/" + bundle + ".dev.json")) {
            if (in == null) {
                throw new IllegalStateException("missing test resource golden/" + bundle + ".dev.json");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
