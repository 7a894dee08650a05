package dev.enricher.bench;

import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.BatchLimits;
import dev.enricher.inference.ClassifierPipeline;
import dev.enricher.inference.NerPipeline;
import dev.enricher.inference.Pipeline;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;

/**
 * The modes without Kafka, on one open engine: the models alone on pre-tokenized batches (the ceiling), and the
 * engine (tokenize, infer, post-process). Every mode runs over all texts a whole number of times, so each sees
 * the same texts. Single-threaded: the caller's thread runs the models.
 *
 * <p>Does not own the engine.
 */
final class InferenceBench {
    private final EnrichmentEngine engine;
    private final ClassifierPipeline classifier;
    private final NerPipeline ner;
    private final boolean sharedTokens;
    private final BenchOptions options;
    private final BatchLimits limits;
    private final List<String> texts;
    private final List<Tokenized> classifierTokens;
    private final List<Tokenized> nerTokens;
    private final List<EnrichmentEngine.Event> events;

    InferenceBench(EnrichmentEngine engine, List<String> texts, BenchOptions options, BatchLimits limits) {
        this.engine = engine;
        this.classifier = engine.classifier().orElseThrow(() -> new IllegalArgumentException("the bench needs a classifier"));
        this.ner = engine.ner().orElseThrow(() -> new IllegalArgumentException("the bench needs a NER tagger"));
        this.options = options;
        this.limits = limits;
        this.texts = List.copyOf(texts);
        this.sharedTokens = sameTokenization(classifier.tokenizer(), ner.tokenizer(), classifier, ner);
        this.classifierTokens = classifier.tokenizer().encodeAll(texts);
        this.nerTokens = sharedTokens ? classifierTokens : ner.tokenizer().encodeAll(texts);
        for (int i = 0; i < texts.size(); i++) {
            if (classifierTokens.get(i).truncated() || nerTokens.get(i).truncated()) {
                throw new IllegalArgumentException("bench texts must fit in one window: " + texts.get(i));
            }
        }
        long now = System.currentTimeMillis();
        List<EnrichmentEngine.Event> list = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            list.add(new EnrichmentEngine.Event("bench-" + i, texts.get(i), "bench", 0, i, now, null, null, now));
        }
        this.events = List.copyOf(list);
    }

    private static boolean sameTokenization(TextTokenizer a, TextTokenizer b, ClassifierPipeline c, NerPipeline n) {
        return a.encodesLike(b);
    }

    /** True when both models read the same token ids, so the engine tokenizes once. */
    boolean sharedTokens() {
        return sharedTokens;
    }

    /** Mean tokens per text, special tokens included. */
    double meanTokens() {
        return classifierTokens.stream().mapToInt(t -> t.first().length()).average().orElse(0);
    }

    /**
     * Both models on pre-tokenized windows, sorted by length over all texts and cut into runs within the
     * engine's batch limits: the least padding and the largest runs any arrival order allows. Runs go where the
     * pipelines send theirs ({@link Pipeline#modelRun()}): ONNX Runtime, or a simulated device.
     */
    ModeResult modelOnly() {
        Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, Comparator.comparingInt(i -> nerTokens.get(i).first().length()));
        List<int[]> runs = new ArrayList<>();
        int from = 0;
        while (from < order.length) {
            int to = from + 1;
            long real = nerTokens.get(order[from]).first().length();
            while (to < order.length) {
                int next = nerTokens.get(order[to]).first().length();
                if (!limits.fits(to - from + 1, real + next, next)) {
                    break;
                }
                real += next;
                to++;
            }
            int[] run = new int[to - from];
            for (int k = from; k < to; k++) {
                run[k - from] = order[k];
            }
            runs.add(run);
            from = to;
        }
        List<List<TokenWindow>> classifierRuns = new ArrayList<>();
        List<List<TokenWindow>> nerRuns = new ArrayList<>();
        long real = 0;
        long padded = 0;
        for (int[] run : runs) {
            List<TokenWindow> c = new ArrayList<>(run.length);
            List<TokenWindow> n = new ArrayList<>(run.length);
            int cMax = 0;
            int nMax = 0;
            for (int i : run) {
                TokenWindow cw = classifierTokens.get(i).first();
                TokenWindow nw = nerTokens.get(i).first();
                c.add(cw);
                n.add(nw);
                real += cw.length() + nw.length();
                cMax = Math.max(cMax, cw.length());
                nMax = Math.max(nMax, nw.length());
            }
            padded += (long) run.length * (cMax + nMax);
            classifierRuns.add(c);
            nerRuns.add(n);
        }
        Measured m = measure(runs.size(), r -> {
            classifier.modelRun().run(classifier.bundle(), classifierRuns.get(r));
            ner.modelRun().run(ner.bundle(), nerRuns.get(r));
            return classifierRuns.get(r).size();
        }, () -> { });
        return new ModeResult("model_only", "model only: ONNX Runtime on pre-tokenized length-sorted batches (ceiling)",
                m.events, m.wallSeconds, m.cpuSeconds, (double) real / padded, (double) texts.size() / runs.size(),
                null, null, null);
    }

    /** Both models on pre-tokenized windows, one text per model run. */
    ModeResult modelOnlyPerRecord() {
        Measured m = measure(texts.size(), i -> {
            classifier.modelRun().run(classifier.bundle(), List.of(classifierTokens.get(i).first()));
            ner.modelRun().run(ner.bundle(), List.of(nerTokens.get(i).first()));
            return 1;
        }, () -> { });
        return new ModeResult("model_only_batch1", "model only, 1 text per model run", m.events, m.wallSeconds,
                m.cpuSeconds, 1.0, 1, null, null, null);
    }

    /** The engine's time split and the sizes of the model runs it made. */
    record EngineRun(ModeResult result, CpuSplit split, BatchSizes modelRuns) {}

    /**
     * The engine on batches of {@code batchMaxRecords} events in arrival order, as the batcher closes them when
     * full. Model runs are timed by the pipelines' run listener; tokenization is timed apart on the same batches
     * (the engine has no hook around it); post-processing, with building the enriched records, is the rest.
     */
    EngineRun engine() {
        int size = options.batchMaxRecords();
        List<List<EnrichmentEngine.Event>> batches = new ArrayList<>();
        for (int i = 0; i < events.size(); i += size) {
            batches.add(events.subList(i, Math.min(events.size(), i + size)));
        }
        RunRecorder runs = new RunRecorder();
        runs.attach(classifier, ner);
        try {
            Measured m = measure(batches.size(), b -> engine.enrich(batches.get(b), System.currentTimeMillis()).size(),
                    runs::restart);
            runs.stop();
            double tokenize = tokenizeNanosPerEvent() * m.events;
            double infer = runs.nanos();
            double post = Math.max(0, m.wallSeconds * 1e9 - tokenize - infer);
            ModeResult result = new ModeResult("engine", "engine: tokenize + infer + post-process, batches of " + size
                    + " arrivals", m.events, m.wallSeconds, m.cpuSeconds, runs.paddingEfficiency(),
                    (double) events.size() / batches.size(), null, null, null);
            return new EngineRun(result, new CpuSplit(tokenize, infer, post, 0), runs.sizes());
        } finally {
            classifier.setRunListener(Pipeline.RunListener.NONE);
            ner.setRunListener(Pipeline.RunListener.NONE);
        }
    }

    /** Wall nanoseconds per event of the engine's tokenization (once when shared, else per model), in batches. */
    private double tokenizeNanosPerEvent() {
        int size = options.batchMaxRecords();
        long events = 0;
        long start = System.nanoTime();
        do {
            for (int from = 0; from < texts.size(); from += size) {
                List<String> batch = texts.subList(from, Math.min(texts.size(), from + size));
                classifier.tokenizer().encodeAll(batch);
                if (!sharedTokens) {
                    ner.tokenizer().encodeAll(batch);
                }
                events += batch.size();
            }
        } while (System.nanoTime() - start < Math.min(2, options.seconds()) * 1e9);
        return (double) (System.nanoTime() - start) / events;
    }

    /** The engine called with one event at a time, as a per-record {@code mapValues} would. */
    ModeResult enginePerRecord() {
        Measured m = measure(events.size(), i -> engine.enrich(List.of(events.get(i)), System.currentTimeMillis()).size(),
                () -> { });
        return new ModeResult("engine_batch1", "engine, 1 event per call", m.events, m.wallSeconds, m.cpuSeconds, 1.0, 1,
                null, null, null);
    }

    private record Measured(long events, double wallSeconds, double cpuSeconds) {}

    /**
     * Warms up for the warm-up time, then runs all units in order, pass after pass, until at least the measuring
     * time has passed; each unit returns the events it did.
     */
    private Measured measure(int units, IntUnaryOperator unit, Runnable onStart) {
        long warmEnd = System.nanoTime() + (long) (options.warmupSeconds() * 1e9);
        for (int u = 0; System.nanoTime() < warmEnd; u = (u + 1) % units) {
            unit.applyAsInt(u);
        }
        onStart.run();
        long events = 0;
        long cpu0 = CpuClock.process();
        long start = System.nanoTime();
        do {
            for (int u = 0; u < units; u++) {
                events += unit.applyAsInt(u);
            }
        } while (System.nanoTime() - start < options.seconds() * 1e9);
        double wall = (System.nanoTime() - start) / 1e9;
        return new Measured(events, wall, (CpuClock.process() - cpu0) / 1e9);
    }
}
