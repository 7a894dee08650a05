package dev.enricher.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decoders against what Hugging Face {@code tokenizers} 0.23 answers for the same tokens
 * ({@code models/tools/make_decoder_vectors.py}): random token lists over byte-level characters, metaspaces,
 * word-piece prefixes, byte tokens, emoji and broken UTF-8.
 */
class TokensToStringTest {

    @Test
    void everyDecoderJoinsAsTokenizersDoes() throws IOException {
        JsonNode vectors;
        try (InputStream in = getClass().getResourceAsStream("/tokenize/decoder-vectors.json")) {
            vectors = new ObjectMapper().readTree(in);
        }
        int compared = 0;
        for (JsonNode c : vectors.get("cases")) {
            List<String> tokens = new ArrayList<>();
            c.get("tokens").forEach(t -> tokens.add(t.asText()));
            TokensToString decoder = TokensToString.forDecoder(c.get("decoder"));
            assertEquals(c.get("text").asText(), decoder.join(tokens), c.get("decoder") + " " + tokens);
            compared++;
        }
        assertTrue(compared >= 1000, "compared " + compared);
        System.out.println("decoders: " + compared + " token lists equal to tokenizers "
                + vectors.get("tokenizers").asText());
    }

    @Test
    void brokenUtf8IsReplacedAsRustReplacesIt() {
        // An encoded surrogate is three invalid bytes for Rust and Python (the JDK's decoder gives one U+FFFD).
        assertEquals("\uFFFD\uFFFD\uFFFD", LossyUtf8.decode(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}));
        assertEquals("\uFFFDA", LossyUtf8.decode(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, 'A'}));
        assertEquals("😀", LossyUtf8.decode(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}));
    }

    @Test
    void anUnsupportedDecoderIsNamed() throws IOException {
        JsonNode ctc = new ObjectMapper().readTree("{\"type\": \"CTC\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokensToString.forDecoder(ctc));
        assertTrue(e.getMessage().contains("'CTC'") && e.getMessage().contains("Metaspace"), e.getMessage());
    }
}
