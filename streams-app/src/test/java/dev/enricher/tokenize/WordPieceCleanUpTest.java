package dev.enricher.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The clean-up's shortcut (no space before a pattern: the token as it is) changes no result. */
class WordPieceCleanUpTest {

    /** transformers' clean_up_tokenization, every replacement applied. */
    private static String fullChain(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    @Test
    void theShortcutAgreesWithEveryReplacementOnRandomTokens() {
        String[] pieces = {" ", ".", "?", "!", ",", "'", "n", "t", "m", "d", "o", " do not", " n't", "s", "v", "e",
            "r", "x", "é", "🗽"};
        Random random = new Random(12);
        int cleaned = 0;
        for (int i = 0; i < 100_000; i++) {
            StringBuilder token = new StringBuilder();
            for (int k = random.nextInt(7); k >= 0; k--) {
                token.append(pieces[random.nextInt(pieces.length)]);
            }
            String s = token.toString();
            String expected = fullChain(s);
            assertEquals(expected, TokensToString.WordPieceDecoder.cleanUp(s), "token '" + s + "'");
            cleaned += expected.equals(s) ? 0 : 1;
        }
        assertTrue(cleaned > 1_000, "the random tokens exercise the replacements: " + cleaned);
        assertEquals("Paris", TokensToString.WordPieceDecoder.cleanUp("Paris"));
        assertEquals(" don't", TokensToString.WordPieceDecoder.cleanUp(" do not"));
    }
}
