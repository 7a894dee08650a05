package dev.enricher.tokenize;

/**
 * One encoded window of a text, special tokens included, unpadded. Offsets are Unicode code-point indices of
 * the original text ({@code -1} for special tokens). {@code words} are the indices of the pre-tokenizer's words
 * in the whole text ({@code -1} for special tokens). Arrays are owned by this record and never mutated after
 * construction; callers must not mutate them either.
 */
public record TokenWindow(long[] ids, long[] typeIds, String[] tokens, boolean[] special, int[] starts, int[] ends,
                          int[] words) {

    public int length() {
        return ids.length;
    }

    /** Number of non-special tokens: the text's real content in this window. */
    public int contentTokens() {
        int n = 0;
        for (boolean s : special) {
            if (!s) {
                n++;
            }
        }
        return n;
    }
}
