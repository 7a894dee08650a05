package dev.enricher.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * UTF-8 decoding as Rust's {@code String::from_utf8_lossy} (and Python's {@code errors="replace"}) does it:
 * each maximal prefix of a valid sequence that cannot be completed, and each byte that cannot start one,
 * becomes one U+FFFD. The JDK's decoder differs on some inputs (it gives one U+FFFD for an encoded surrogate).
 */
final class LossyUtf8 {
    private LossyUtf8() {}

    static String decode(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length);
        int i = 0;
        while (i < bytes.length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                out.append((char) lead);
                i++;
                continue;
            }
            int length;
            int secondMin = 0x80;
            int secondMax = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                length = 2;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                length = 3;
                secondMin = lead == 0xE0 ? 0xA0 : 0x80;
                secondMax = lead == 0xED ? 0x9F : 0xBF;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                length = 4;
                secondMin = lead == 0xF0 ? 0x90 : 0x80;
                secondMax = lead == 0xF4 ? 0x8F : 0xBF;
            } else {
                out.append('\uFFFD');
                i++;
                continue;
            }
            int codePoint = lead & (0xFF >> (length + 1));
            int j = 1;
            for (; j < length && i + j < bytes.length; j++) {
                int b = bytes[i + j] & 0xFF;
                int min = j == 1 ? secondMin : 0x80;
                int max = j == 1 ? secondMax : 0xBF;
                if (b < min || b > max) {
                    break;
                }
                codePoint = (codePoint << 6) | (b & 0x3F);
            }
            if (j == length) {
                out.appendCodePoint(codePoint);
            } else {
                out.append('\uFFFD');
            }
            i += j;
        }
        return out.toString();
    }

    /** The text, or null when the bytes are not valid UTF-8. */
    static String decodeStrict(byte[] bytes) {
        String text = decode(bytes);
        return Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes) ? text : null;
    }
}
