package dev.enricher.inference;

/**
 * Bounds of one model run.
 *
 * @param maxSequences windows per run
 * @param maxPaddedTokens sequences times the longest sequence, per run; a single window longer than this still
 *     runs alone
 */
public record BatchLimits(int maxSequences, int maxPaddedTokens) {
    public BatchLimits {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + maxSequences);
        }
        if (maxPaddedTokens < 1) {
            throw new IllegalArgumentException("token budget must be at least 1, got " + maxPaddedTokens);
        }
    }

    public static BatchLimits ofSize(int maxSequences) {
        return new BatchLimits(maxSequences, Integer.MAX_VALUE);
    }
}
