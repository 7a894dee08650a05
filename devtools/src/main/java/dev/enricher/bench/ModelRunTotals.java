package dev.enricher.bench;

import java.util.Locale;

/**
 * The service's model runs since it started, both models together, as its Prometheus metrics count them
 * ({@code ServiceMetrics}: {@code enricher_inference_seconds_count} and {@code _sum},
 * {@code enricher_padded_tokens_sum}, {@code enricher_real_tokens_total}). The end-to-end bench reads these
 * instead of setting its own run listener on the service's pipelines, which would replace the service's.
 * Immutable.
 *
 * @param runs model runs
 * @param seconds wall time of those runs (tensor filling, ONNX Runtime, output copy)
 * @param paddedTokens tokens sent including padding
 * @param realTokens tokens sent without padding
 */
record ModelRunTotals(long runs, double seconds, double paddedTokens, double realTokens) {
    static final String RUNS = "enricher_inference_seconds_count";
    static final String SECONDS = "enricher_inference_seconds_sum";
    static final String PADDED = "enricher_padded_tokens_sum";
    static final String REAL = "enricher_real_tokens_total";

    /**
     * Sums each metric over its labels (one series per model) in a Prometheus text exposition.
     *
     * @throws IllegalArgumentException when the exposition has no model-run metrics at all
     */
    static ModelRunTotals parse(String exposition) {
        double runs = 0;
        double seconds = 0;
        double padded = 0;
        double real = 0;
        int found = 0;
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int nameEnd = 0;
            while (nameEnd < line.length() && line.charAt(nameEnd) != '{' && line.charAt(nameEnd) != ' ') {
                nameEnd++;
            }
            String name = line.substring(0, nameEnd);
            if (!name.equals(RUNS) && !name.equals(SECONDS) && !name.equals(PADDED) && !name.equals(REAL)) {
                continue;
            }
            int valueStart = line.charAt(nameEnd) == '{' ? line.indexOf("} ", nameEnd) + 2 : nameEnd + 1;
            String rest = line.substring(valueStart).trim();
            int space = rest.indexOf(' ');
            double value = Double.parseDouble(space < 0 ? rest : rest.substring(0, space));
            found++;
            switch (name) {
                case RUNS -> runs += value;
                case SECONDS -> seconds += value;
                case PADDED -> padded += value;
                default -> real += value;
            }
        }
        if (found == 0) {
            throw new IllegalArgumentException("no " + RUNS + " in the service's metrics");
        }
        return new ModelRunTotals(Math.round(runs), seconds, padded, real);
    }

    ModelRunTotals minus(ModelRunTotals earlier) {
        return new ModelRunTotals(runs - earlier.runs, seconds - earlier.seconds, paddedTokens - earlier.paddedTokens,
                realTokens - earlier.realTokens);
    }

    /** Real tokens / padded tokens, or NaN without runs. */
    double paddingEfficiency() {
        return paddedTokens > 0 ? realTokens / paddedTokens : Double.NaN;
    }

    /** {@code sequences} (the windows the models ran on) per run, or NaN without runs. */
    double meanSequences(long sequences) {
        return runs > 0 ? (double) sequences / runs : Double.NaN;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d runs, %.3f s, %.0f padded tokens, %.0f real tokens", runs, seconds,
                paddedTokens, realTokens);
    }
}
