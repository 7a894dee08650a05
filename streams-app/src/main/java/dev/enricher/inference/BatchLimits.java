package dev.enricher.inference;

/**
 * Bounds of one model run. Windows are sorted by length and cut into runs that respect all three bounds.
 *
 * @param maxSequences windows per run
 * @param maxPaddedTokens sequences times the longest sequence, per run; a single window longer than this still
 *     runs alone
 * @param minPaddingEfficiency a run ends before the window that would bring real tokens / padded tokens below
 *     this (0 disables); on CPU, padding costs more than smaller runs do
 */
public record BatchLimits(int maxSequences, int maxPaddedTokens, double minPaddingEfficiency) {
    public static final double DEFAULT_MIN_PADDING_EFFICIENCY = 0.9;

    public BatchLimits {
        if (!(minPaddingEfficiency >= 0 && minPaddingEfficiency <= 1)) {
            throw new IllegalArgumentException("minimum padding efficiency must be between 0 and 1, got "
                    + minPaddingEfficiency);
        }
        if (maxSequences < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + maxSequences);
        }
        if (maxPaddedTokens < 1) {
            throw new IllegalArgumentException("token budget must be at least 1, got " + maxPaddedTokens);
        }
    }

    public BatchLimits(int maxSequences, int maxPaddedTokens) {
        this(maxSequences, maxPaddedTokens, DEFAULT_MIN_PADDING_EFFICIENCY);
    }

    public static BatchLimits ofSize(int maxSequences) {
        return new BatchLimits(maxSequences, Integer.MAX_VALUE);
    }

    /** True when a run of {@code count} windows holding {@code realTokens}, the longest {@code longest}, fits. */
    public boolean fits(int count, long realTokens, int longest) {
        long padded = (long) count * longest;
        return count <= maxSequences && padded <= maxPaddedTokens
                && realTokens >= minPaddingEfficiency * padded;
    }
}
