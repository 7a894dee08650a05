package dev.enricher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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

    /** SHA-256 of a file, lower-case hex, as the bundles state it. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), digest));
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code golden/<bundle>.dev.json}: what the transformers 5.17 pipelines answered for each dev sentence. */
    public static JsonNode golden(String bundle) {
        return resource("/golden/" + bundle + ".dev.json");
    }

    /** The family bundles of {@code models/families/}, by tokenizer family: classifier and token classifier. */
    public static final List<List<String>> FAMILIES = List.of(
            List.of("roberta-sentiment", "roberta-ner"), List.of("xlmr-moderation-multilabel", "xlmr-ner"),
            List.of("deberta-sentiment", "deberta-ner"), List.of("bert-cased-sentiment", "bert-cased-ner"),
            List.of("distilbert-sentiment", "distilbert-ner"));

    /** {@code golden/families/<bundle>.json}: what the transformers 5.17 pipelines answered for a family bundle. */
    public static JsonNode familyGolden(String bundle) {
        return resource("/golden/families/" + bundle + ".json");
    }

    private static JsonNode resource(String path) {
        try (InputStream in = TestModels.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + path);
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
