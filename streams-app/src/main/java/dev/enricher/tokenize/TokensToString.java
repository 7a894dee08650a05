package dev.enricher.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Joins tokens back into text as the {@code decoder} of a {@code tokenizer.json} does in Hugging Face
 * {@code tokenizers} 0.23 ({@code convert_tokens_to_string} of a transformers 5 fast tokenizer): every decoder
 * step maps the token list ({@code decode_chain}), then the pieces are concatenated. Stateless and thread-safe.
 */
public interface TokensToString {

    String join(List<String> tokens);

    /** Decoder types this class reproduces. */
    List<String> SUPPORTED = List.of("WordPiece", "ByteLevel", "Metaspace", "BPEDecoder", "Replace", "ByteFallback",
            "Fuse", "Strip", "Sequence");

    /**
     * The joiner for a tokenizer's {@code decoder} section; no decoder joins with spaces, as transformers does.
     *
     * @throws IllegalArgumentException naming the decoder type when it is not supported
     */
    static TokensToString forDecoder(JsonNode decoder) {
        if (decoder == null || decoder.isNull() || decoder.isMissingNode()) {
            return tokens -> String.join(" ", tokens);
        }
        Step step = Step.of(decoder);
        return tokens -> String.join("", step.decodeChain(tokens));
    }

    /** One decoder of {@code tokenizers}: its {@code decode_chain}. */
    interface Step {
        List<String> decodeChain(List<String> tokens);

        static Step of(JsonNode decoder) {
            String type = decoder.path("type").asText("");
            return switch (type) {
                case "WordPiece" -> new WordPieceDecoder(decoder.path("prefix").asText("##"),
                        decoder.path("cleanup").asBoolean(true));
                case "ByteLevel" -> new ByteLevelDecoder();
                // Files older than tokenizers 0.14 say add_prefix_space instead of prepend_scheme.
                case "Metaspace" -> new MetaspaceDecoder(replacement(decoder),
                        !decoder.path("prepend_scheme").asText("always").equals("never")
                                && decoder.path("add_prefix_space").asBoolean(true));
                case "BPEDecoder" -> new BpeDecoder(decoder.path("suffix").asText("</w>"));
                case "Replace" -> new ReplaceDecoder(replacePattern(decoder), decoder.path("content").asText(""));
                case "ByteFallback" -> new ByteFallbackDecoder();
                case "Fuse" -> tokens -> List.of(String.join("", tokens));
                case "Strip" -> {
                    String content = decoder.path("content").asText(" ");
                    if (content.codePointCount(0, content.length()) != 1) {
                        throw new IllegalArgumentException("Strip decoder content must be one character, found '"
                                + content + "'");
                    }
                    yield new StripDecoder(content, decoder.path("start").asInt(0), decoder.path("stop").asInt(0));
                }
                case "Sequence" -> {
                    List<Step> steps = new ArrayList<>();
                    for (JsonNode d : decoder.path("decoders")) {
                        steps.add(of(d));
                    }
                    yield tokens -> {
                        List<String> out = tokens;
                        for (Step s : steps) {
                            out = s.decodeChain(out);
                        }
                        return out;
                    };
                }
                default -> throw new IllegalArgumentException("decoder type '" + type + "' is not supported "
                        + "(supported: " + String.join(", ", SUPPORTED) + ")");
            };
        }

        private static int replacement(JsonNode decoder) {
            String r = decoder.path("replacement").asText("\u2581");
            if (r.codePointCount(0, r.length()) != 1) {
                throw new IllegalArgumentException("Metaspace decoder replacement must be one character, found '"
                        + r + "'");
            }
            return r.codePointAt(0);
        }

        private static Pattern replacePattern(JsonNode decoder) {
            JsonNode pattern = decoder.path("pattern");
            if (pattern.has("String")) {
                return Pattern.compile(Pattern.quote(pattern.get("String").asText()));
            }
            if (pattern.has("Regex")) {
                return Pattern.compile(pattern.get("Regex").asText());
            }
            throw new IllegalArgumentException("Replace decoder needs a String or Regex pattern, found " + pattern);
        }
    }

    /** The WordPiece decoder: prefix stripping, a space before every other token, and English clean-up. */
    record WordPieceDecoder(String prefix, boolean cleanup) implements Step, TokensToString {

        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String token = tokens.get(i);
                if (i != 0) {
                    token = token.startsWith(prefix) ? token.substring(prefix.length()) : " " + token;
                }
                out.add(cleanup ? cleanUp(token) : token);
            }
            return out;
        }

        @Override
        public String join(List<String> tokens) {
            return String.join("", decodeChain(tokens));
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

    /**
     * GPT-2's byte-level decoder: each character of a token stands for one byte; a token holding any character
     * outside that alphabet stands for its own UTF-8 bytes. All bytes are then read as UTF-8, lossily.
     */
    record ByteLevelDecoder() implements Step {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String token : tokens) {
                byte[] mapped = ByteLevelAlphabet.toBytes(token);
                bytes.writeBytes(mapped != null ? mapped : token.getBytes(StandardCharsets.UTF_8));
            }
            return List.of(LossyUtf8.decode(bytes.toByteArray()));
        }
    }

    /**
     * SentencePiece's Metaspace decoder: the replacement character becomes a space, except in the first token,
     * where it is dropped when a prefix space was prepended at encoding.
     */
    record MetaspaceDecoder(int replacement, boolean prependsSpace) implements Step {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String token = tokens.get(i);
                StringBuilder s = new StringBuilder(token.length());
                boolean drop = i == 0 && prependsSpace;
                token.codePoints().forEach(c -> {
                    if (c != replacement) {
                        s.appendCodePoint(c);
                    } else if (!drop) {
                        s.append(' ');
                    }
                });
                out.add(s.toString());
            }
            return out;
        }
    }

    /** The BPE decoder: the end-of-word suffix becomes a space, or nothing on the last token. */
    record BpeDecoder(String suffix) implements Step {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                out.add(tokens.get(i).replace(suffix, i == tokens.size() - 1 ? "" : " "));
            }
            return out;
        }
    }

    record ReplaceDecoder(Pattern pattern, String content) implements Step {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            String literal = Matcher.quoteReplacement(content);
            for (String token : tokens) {
                out.add(pattern.matcher(token).replaceAll(literal));
            }
            return out;
        }
    }

    /**
     * Byte tokens ({@code <0x41>}) in runs become the UTF-8 text they spell; a run that is not valid UTF-8
     * becomes one U+FFFD per byte.
     */
    record ByteFallbackDecoder() implements Step {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String token : tokens) {
                int b = byteToken(token);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out);
                out.add(token);
            }
            flush(run, out);
            return out;
        }

        private static void flush(ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) {
                return;
            }
            byte[] bytes = run.toByteArray();
            run.reset();
            String text = LossyUtf8.decodeStrict(bytes);
            if (text != null) {
                out.add(text);
            } else {
                for (int i = 0; i < bytes.length; i++) {
                    out.add("\uFFFD");
                }
            }
        }

        /** The byte of a {@code <0xHH>} token (ASCII hex digits only), or -1. */
        private static int byteToken(String token) {
            if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
                return -1;
            }
            int high = HEX.indexOf(Character.toUpperCase(token.charAt(3)));
            int low = HEX.indexOf(Character.toUpperCase(token.charAt(4)));
            return high < 0 || low < 0 ? -1 : high * 16 + low;
        }

        private static final String HEX = "0123456789ABCDEF";
    }

    /** Strips up to {@code start} leading and {@code stop} trailing {@code content} characters from each token. */
    record StripDecoder(String content, int start, int stop) implements Step {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            int c = content.codePointAt(0);
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                int[] cps = token.codePoints().toArray();
                int from = 0;
                while (from < start && from < cps.length && cps[from] == c) {
                    from++;
                }
                int to = cps.length;
                while (cps.length - to < stop && to > from && cps[to - 1] == c) {
                    to--;
                }
                out.add(new String(cps, from, to - from));
            }
            return out;
        }
    }
}
