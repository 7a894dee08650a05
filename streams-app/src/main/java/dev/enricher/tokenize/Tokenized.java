package dev.enricher.tokenize;

import java.util.List;

/**
 * A text and its windows. The first window is the text truncated to the model's maximum length; further
 * windows exist only when the text is longer and cover the rest with the configured stride (overlap).
 *
 * @param truncated true when the text does not fit in one window
 */
public record Tokenized(String text, List<TokenWindow> windows, boolean truncated) {

    public TokenWindow first() {
        return windows.get(0);
    }
}
