package dev.enricher.tokenize;

/**
 * GPT-2's byte-to-character alphabet, used by byte-level BPE: printable Latin-1 bytes stand for themselves, the
 * other 68 bytes for the characters U+0100 onwards, in byte order (a space is {@code Ġ}, U+0120).
 */
final class ByteLevelAlphabet {
    /** Byte of each alphabet character, indexed by code point; -1 for characters outside the alphabet. */
    private static final int[] BYTE_OF_CHAR = new int[256 + 68];

    static {
        java.util.Arrays.fill(BYTE_OF_CHAR, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_OF_CHAR[printable ? b : next++] = b;
        }
    }

    private ByteLevelAlphabet() {}

    /** The bytes a token stands for, or null when it holds a character outside the alphabet. */
    static byte[] toBytes(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
