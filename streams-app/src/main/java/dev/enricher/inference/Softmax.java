package dev.enricher.inference;

/** Numerically stable softmax over one row, as transformers computes it (shift by the maximum). */
final class Softmax {
    private Softmax() {}

    static void into(float[] logits, float[] out) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            out[i] = (float) Math.exp(logits[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < logits.length; i++) {
            out[i] = (float) (out[i] / sum);
        }
    }

    static float[] of(float[] logits) {
        float[] out = new float[logits.length];
        into(logits, out);
        return out;
    }

    /** Index of the first maximum, as numpy's argmax. */
    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
