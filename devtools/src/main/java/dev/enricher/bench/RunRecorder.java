package dev.enricher.bench;

import dev.enricher.inference.Pipeline;
import java.util.concurrent.atomic.LongAdder;

/**
 * Listens to the model runs of pipelines: their wall time (tensor filling, ONNX Runtime, output copy), sizes and
 * tokens. Thread-safe: pipelines call it from whichever thread runs the model. A pipeline has one listener, so
 * {@link #attach} replaces the one it had: attach it only to pipelines the bench owns (the in-process modes'
 * engine), never to a running service's, whose metrics listen there ({@link ModelRunTotals} reads those).
 */
final class RunRecorder implements Pipeline.RunListener {
    private final LongAdder nanos = new LongAdder();
    private final LongAdder real = new LongAdder();
    private final LongAdder padded = new LongAdder();
    private final BatchSizes sizes = new BatchSizes();
    private volatile boolean active = true;

    void attach(Pipeline<?>... pipelines) {
        for (Pipeline<?> p : pipelines) {
            p.setRunListener(this);
        }
    }

    @Override
    public void onRun(int sequences, long realTokens, long paddedTokens, long runNanos) {
        if (!active) {
            return;
        }
        nanos.add(runNanos);
        real.add(realTokens);
        padded.add(paddedTokens);
        synchronized (sizes) {
            sizes.addBatch(sequences);
        }
    }

    /** Forgets what was recorded and records again from now on. */
    void restart() {
        active = false;
        nanos.reset();
        real.reset();
        padded.reset();
        synchronized (sizes) {
            sizes.clear();
        }
        active = true;
    }

    /** Stops recording; what was recorded stays readable. */
    void stop() {
        active = false;
    }

    long nanos() {
        return nanos.sum();
    }

    double paddingEfficiency() {
        long p = padded.sum();
        return p == 0 ? Double.NaN : (double) real.sum() / p;
    }

    /** A copy of the run sizes recorded. */
    BatchSizes sizes() {
        synchronized (sizes) {
            return sizes.copy();
        }
    }
}
