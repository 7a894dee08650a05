package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.TestModels;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.TokenWindow;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The windows of long texts that the NER pipeline runs with a stride, against those a transformers 5.17 fast
 * tokenizer makes ({@code models/tools/make_window_vectors.py}): random texts whose words straddle every window
 * limit, several lengths and strides, every tokenizer family.
 */
class WindowParityTest {
    private static final Map<String, TextTokenizer> TOKENIZERS = new HashMap<>();

    @AfterAll
    static void close() {
        TOKENIZERS.values().forEach(TextTokenizer::close);
    }

    @Test
    void windowsOfLongTextsAreThoseTransformersRuns() throws IOException {
        JsonNode vectors;
        try (InputStream in = getClass().getResourceAsStream("/tokenize/window-vectors.json")) {
            vectors = new ObjectMapper().readTree(in);
        }
        int compared = 0;
        int multiWindow = 0;
        for (JsonNode c : vectors.get("cases")) {
            int maxLength = c.get("max_length").asInt();
            int stride = c.get("stride").asInt();
            String bundle = c.get("bundle").asText();
            TextTokenizer tokenizer = TOKENIZERS.computeIfAbsent(bundle + "/" + maxLength + "/" + stride, k -> {
                try {
                    return TextTokenizer.load(TestModels.bundle(bundle).resolve("tokenizer.json"), maxLength, stride);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            List<TokenWindow> windows = NerPipeline.transformersWindows(tokenizer.encode(c.get("text").asText()),
                    tokenizer);
            JsonNode expected = c.get("windows");
            String where = bundle + " max_length " + maxLength + " stride " + stride + ": " + c.get("text").asText();
            assertEquals(expected.size(), windows.size(), where + " window count");
            for (int w = 0; w < windows.size(); w++) {
                long[] ids = new long[expected.get(w).size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = expected.get(w).get(i).asLong();
                }
                assertArrayEquals(ids, windows.get(w).ids(), where + " window " + w);
            }
            compared++;
            multiWindow += windows.size() > 1 ? 1 : 0;
        }
        assertTrue(multiWindow > compared / 2, multiWindow + " of " + compared + " texts had several windows");
        System.out.println("windows: " + compared + " texts (" + multiWindow + " with several windows) equal to "
                + "transformers " + vectors.get("transformers").asText());
    }
}
