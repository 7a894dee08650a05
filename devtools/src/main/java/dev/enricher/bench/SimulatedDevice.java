package dev.enricher.bench;

import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.Logits;
import dev.enricher.inference.ModelBundle;
import dev.enricher.inference.Pipeline;
import dev.enricher.tokenize.TokenWindow;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * A stand-in accelerator for the benchmark only, never a service setting: a model run does no CPU work, takes
 * {@code max(floor, per-token time × padded tokens)} of device time and returns zero logits of the bundle's output
 * shape (which post-process like any logits: uniform scores, label 0 for every token).
 *
 * <p>One device per process, shared by every model and thread, as one accelerator runs one kernel stream at a
 * time: runs occupy the device one after another, in the order they arrive, and each caller sleeps (parks; no
 * spinning) until its run ends. A run that arrives while the device is busy starts when the run before it ends on
 * the device's own timeline, so late wake-ups of the sleeping threads do not add up into lost device time.
 * Thread-safe.
 */
public final class SimulatedDevice implements Pipeline.ModelRun {
    /** The option that sets it, named in every parse error. */
    public static final String OPTION = "--simulated-device";

    /**
     * Device time of a run: {@code max(floorMs, usPerToken × padded tokens)}. Defaults from H200 measurements of
     * BERT-base in fp16 (see {@code docs/benchmarks.md}): a floor of 3 ms, 1.0 µs per padded token.
     *
     * @param floorMs least device time of a run, milliseconds, finite and at least 0
     * @param usPerToken device time per padded token (sequences × longest window), microseconds, finite, at least 0
     */
    public record Spec(double floorMs, double usPerToken) {
        public static final Spec H200_BERT_BASE_FP16 = new Spec(3, 1.0);

        public Spec {
            check("floor_ms", floorMs);
            check("us_per_token", usPerToken);
        }

        private static void check(String key, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(OPTION + ": " + key + " must be a finite number at least 0, got "
                        + v);
            }
        }

        /**
         * Parses {@code floor_ms=3,us_per_token=1.0}; a key left out keeps its default, an empty value is all
         * defaults.
         *
         * @throws IllegalArgumentException naming the option, the part at fault and what was expected
         */
        public static Spec parse(String value) {
            Double floor = null;
            Double perToken = null;
            if (value.isBlank()) {
                return H200_BERT_BASE_FP16;
            }
            for (String part : value.split(",", -1)) {
                String p = part.strip();
                int eq = p.indexOf('=');
                String key = eq < 0 ? p : p.substring(0, eq).strip();
                if (eq < 0 || !(key.equals("floor_ms") || key.equals("us_per_token"))) {
                    throw new IllegalArgumentException(OPTION + ": expected floor_ms=<ms>,us_per_token=<µs> (e.g. "
                            + "floor_ms=3,us_per_token=1.0), found '" + p + "' in '" + value + "'");
                }
                double v;
                try {
                    v = Double.parseDouble(p.substring(eq + 1).strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(OPTION + ": " + key + " must be a number, found '"
                            + p.substring(eq + 1).strip() + "' in '" + value + "'");
                }
                if (key.equals("floor_ms") ? floor != null : perToken != null) {
                    throw new IllegalArgumentException(OPTION + ": " + key + " given twice in '" + value + "'");
                }
                if (key.equals("floor_ms")) {
                    floor = v;
                } else {
                    perToken = v;
                }
            }
            return new Spec(floor != null ? floor : H200_BERT_BASE_FP16.floorMs,
                    perToken != null ? perToken : H200_BERT_BASE_FP16.usPerToken);
        }

        /** Device nanoseconds of a run of {@code paddedTokens} tokens, padding included. */
        public long nanos(long paddedTokens) {
            return Math.round(Math.max(floorMs * 1e6, usPerToken * 1e3 * paddedTokens));
        }

        /** {@code floor_ms=3,us_per_token=1}: what {@link #parse} reads back. */
        public String format() {
            return "floor_ms=" + BenchReport.trim(floorMs) + ",us_per_token=" + BenchReport.trim(usPerToken);
        }
    }

    private final Spec spec;
    private final Object timeline = new Object();
    /** Guarded by {@code timeline}: when the last run taken on ends, on {@link System#nanoTime()}. */
    private long freeAt = System.nanoTime();
    /** Guarded by {@code timeline}: device nanoseconds of every run taken on since creation. */
    private long busyNanos;
    private long runs;

    public SimulatedDevice(Spec spec) {
        this.spec = spec;
    }

    public Spec spec() {
        return spec;
    }

    /** Makes every model of {@code engine} run on this device; set before the engine enriches anything. */
    public void install(EnrichmentEngine engine) {
        engine.classifier().ifPresent(p -> p.setModelRun(this));
        engine.ner().ifPresent(p -> p.setModelRun(this));
    }

    /**
     * Takes the run onto the device and sleeps until it ends there; then returns zero logits shaped as {@link
     * ModelBundle#run} would: {@code [windows, labels]} for sequence classifiers, {@code [windows, longest window,
     * labels]} for token classifiers, labels from the bundle's {@code id2label}.
     */
    @Override
    public Logits run(ModelBundle bundle, List<TokenWindow> windows) {
        int batch = windows.size();
        int longest = 0;
        for (TokenWindow w : windows) {
            longest = Math.max(longest, w.length());
        }
        occupy(spec.nanos((long) batch * longest));
        int labels = bundle.config().labels().size();
        int sequence = bundle.task() == ModelBundle.Task.TOKEN_CLASSIFICATION ? longest : 1;
        return new Logits(new float[batch * sequence * labels], batch, sequence, labels);
    }

    /**
     * Takes a run of {@code nanos} onto the device, after every run taken on before it, and parks until it ends
     * there; returns early, keeping the interrupt flag, when the thread is interrupted.
     */
    void occupy(long nanos) {
        long arrived = System.nanoTime();
        long deadline;
        synchronized (timeline) {
            long start = arrived - freeAt > 0 ? arrived : freeAt;
            deadline = start + nanos;
            freeAt = deadline;
            busyNanos += nanos;
            runs++;
        }
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    /** Device nanoseconds of every run taken on so far (from the formula, not from the sleeping threads' clocks). */
    public long busyNanos() {
        synchronized (timeline) {
            return busyNanos;
        }
    }

    /** Runs taken on so far. */
    public long runs() {
        synchronized (timeline) {
            return runs;
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "simulated device (%s)", spec.format());
    }
}
