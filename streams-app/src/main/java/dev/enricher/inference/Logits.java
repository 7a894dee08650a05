package dev.enricher.inference;

/**
 * Raw model output of one batch, row-major: {@code [batch, labels]} for sequence classifiers, {@code [batch,
 * sequence, labels]} for token classifiers ({@code sequence == 1} for the former). Owned by the caller.
 */
public record Logits(float[] data, int batch, int sequence, int labels) {

    /** Logits of one sequence of a sequence classifier. */
    public float[] row(int b) {
        float[] out = new float[labels];
        System.arraycopy(data, b * sequence * labels, out, 0, labels);
        return out;
    }

    /** Logits of the first {@code tokens} positions of one sequence of a token classifier. */
    public float[][] tokens(int b, int tokens) {
        float[][] out = new float[tokens][labels];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(data, (b * sequence + t) * labels, out[t], 0, labels);
        }
        return out;
    }
}
