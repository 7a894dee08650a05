package dev.enricher.inference;

/**
 * A token-classification result. With aggregation {@code none}: one token, {@code label} is its {@code entity}
 * and {@code index} its position in the encoded window; otherwise a group, {@code label} is its {@code
 * entity_group} and {@code index} is -1. {@code start}/{@code end} are code-point offsets in the text.
 */
public record Entity(String label, float score, String word, int start, int end, int index) {

    public boolean grouped() {
        return index < 0;
    }
}
