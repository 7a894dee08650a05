package dev.enricher.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Joins tokens back into text as the {@code decoder} of a {@code tokenizer.json} does ({@code
 * convert_tokens_to_string} in {@code transformers}). Stateless and thread-safe.
 */
public interface TokensToString {

    String join(List<String> tokens);

    /**
     * The joiner for a tokenizer's {@code decoder} section.
     *
     * @throws IllegalArgumentException naming the decoder type when it is not supported
     */
    static TokensToString forDecoder(JsonNode decoder) {
        String type = decoder == null || decoder.isNull() ? "none" : decoder.path("type").asText("none");
        if (type.equals("WordPiece")) {
            return new WordPieceDecoder(decoder.path("prefix").asText("##"), decoder.path("cleanup").asBoolean(true));
        }
        throw new IllegalArgumentException("decoder type '" + type + "' is not supported (supported: WordPiece)");
    }

    /** The WordPiece decoder of Hugging Face {@code tokenizers}: prefix stripping and English clean-up. */
    record WordPieceDecoder(String prefix, boolean cleanup) implements TokensToString {

        @Override
        public String join(List<String> tokens) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < tokens.size(); i++) {
                String token = tokens.get(i);
                if (i != 0) {
                    token = token.startsWith(prefix) ? token.substring(prefix.length()) : " " + token;
                }
                out.append(cleanup ? cleanUp(token) : token);
            }
            return out.toString();
        }

        /** transformers' clean_up_tokenization: each pattern is a space followed by one of {@link #AFTER_SPACE}. */
        static String cleanUp(String s) {
            if (!hasSpaceBeforeCleanUpPattern(s)) {
                return s;
            }
            return s.replace(" .", ".")
                    .replace(" ?", "?")
                    .replace(" !", "!")
                    .replace(" ,", ",")
                    .replace(" ' ", "'")
                    .replace(" n't", "n't")
                    .replace(" 'm", "'m")
                    .replace(" do not", " don't")
                    .replace(" 's", "'s")
                    .replace(" 've", "'ve")
                    .replace(" 're", "'re");
        }

        /** The characters that follow the space in {@link #cleanUp}'s patterns. */
        private static final String AFTER_SPACE = ".?!,'nd";

        /** False when no pattern of {@link #cleanUp} can match: no space is followed by a pattern's second character. */
        private static boolean hasSpaceBeforeCleanUpPattern(String s) {
            for (int i = s.indexOf(' '); i >= 0 && i + 1 < s.length(); i = s.indexOf(' ', i + 1)) {
                if (AFTER_SPACE.indexOf(s.charAt(i + 1)) >= 0) {
                    return true;
                }
            }
            return false;
        }
    }
}
