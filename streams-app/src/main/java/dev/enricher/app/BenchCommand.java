package dev.enricher.app;

import dev.enricher.inference.Aggregation;
import dev.enricher.inference.BatchLimits;
import dev.enricher.inference.ClassificationFunction;
import dev.enricher.inference.ClassifierPipeline;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.ModelBundle;
import dev.enricher.inference.NerPipeline;
import dev.enricher.inference.Pipeline;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.inference.TokenClassification;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: sequences per second of model bundles on this machine, per batch size: the model alone on
 * pre-tokenized batches (the ceiling), and the whole pipeline (tokenize, infer, post-process).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures sequences/s of model bundles per batch size: model only (pre-tokenized) and the "
                + "whole pipeline (tokenize + infer + post-process). Prints a table.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Bundle folder; repeat for several.")
    List<Path> models;

    @Option(names = "--batch-sizes", defaultValue = "1,8,32", split = ",", description = "Default: ${DEFAULT-VALUE}.")
    List<Integer> batchSizes;

    @Option(names = "--seconds", defaultValue = "3", description = "Measuring time per cell (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--texts", defaultValue = "2048", description = "Distinct texts cycled through (default: ${DEFAULT-VALUE}).")
    int textCount;

    @Override
    public Integer call() {
        List<String> texts = BenchTexts.generate(textCount, 1);
        System.out.printf(Locale.ROOT, "machine: %d cores, %s %s, java %s; onnxruntime intra-op threads=%d%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                System.getProperty("java.version"), threads);
        System.out.printf(Locale.ROOT, "| bundle | batch | model only (seq/s) | pipeline (seq/s) | mean tokens | pipeline padding efficiency |%n");
        System.out.printf(Locale.ROOT, "|---|---|---|---|---|---|%n");
        InferenceSettings settings = new InferenceSettings(InferenceSettings.Device.CPU, 0, false, threads, false,
                InferenceSettings.Precision.EXACT);
        for (Path dir : models) {
            for (int batch : batchSizes) {
                try (Pipeline<?> pipeline = open(dir, settings, batch)) {
                    List<Tokenized> encoded = pipeline.tokenizer().encodeAll(texts);
                    double modelOnly = modelOnly(pipeline.bundle(), encoded, batch);
                    long real0 = pipeline.realTokens();
                    long padded0 = pipeline.paddedTokens();
                    double full = wholePipeline(pipeline, texts, batch);
                    double efficiency = (double) (pipeline.realTokens() - real0) / (pipeline.paddedTokens() - padded0);
                    double meanTokens = encoded.stream().mapToInt(t -> t.first().length()).average().orElse(0);
                    System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.1f | %.3f |%n", dir.getFileName(), batch,
                            modelOnly, full, meanTokens, efficiency);
                }
            }
        }
        return 0;
    }

    private static Pipeline<?> open(Path dir, InferenceSettings settings, int batch) {
        ModelBundle bundle = ModelBundle.load(dir, settings);
        BatchLimits limits = BatchLimits.ofSize(batch);
        if (bundle.task() == ModelBundle.Task.TOKEN_CLASSIFICATION) {
            return NerPipeline.of(bundle, TokenClassification.Options.of(Aggregation.SIMPLE,
                    TokenClassification.Windows.TRUNCATE), 0, limits);
        }
        return ClassifierPipeline.of(bundle, new SequenceClassification.Options(ClassificationFunction.DEFAULT, 0,
                SequenceClassification.LongText.TRUNCATE), 0, limits);
    }

    /** ONNX Runtime alone on pre-tokenized batches of texts of about the same length: the ceiling. */
    private double modelOnly(ModelBundle bundle, List<Tokenized> encoded, int batch) {
        List<TokenWindow> sorted = new ArrayList<>(encoded.stream().map(Tokenized::first).toList());
        sorted.sort(java.util.Comparator.comparingInt(TokenWindow::length));
        List<List<TokenWindow>> batches = new ArrayList<>();
        for (int i = 0; i + batch <= sorted.size(); i += batch) {
            batches.add(sorted.subList(i, i + batch));
        }
        // every length equally likely within the measuring time, not only the shortest batches
        java.util.Collections.shuffle(batches, new java.util.Random(3));
        bundle.run(batches.get(0));
        long sequences = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        for (int i = 0; System.nanoTime() < end; i = (i + 1) % batches.size()) {
            bundle.run(batches.get(i));
            sequences += batch;
        }
        return sequences / ((System.nanoTime() - start) / 1e9);
    }

    /** Tokenize, infer and post-process, {@code batch} texts per call. */
    private double wholePipeline(Pipeline<?> pipeline, List<String> texts, int batch) {
        pipeline.predict(texts.subList(0, batch));
        long sequences = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        for (int i = 0; System.nanoTime() < end; i = (i + batch) % (texts.size() - batch)) {
            pipeline.predict(texts.subList(i, i + batch));
            sequences += batch;
        }
        return sequences / ((System.nanoTime() - start) / 1e9);
    }
}
