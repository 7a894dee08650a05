package dev.enricher.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.bench.CpuClock;
import dev.enricher.inference.Aggregation;
import dev.enricher.inference.BatchLimits;
import dev.enricher.inference.ClassificationFunction;
import dev.enricher.inference.ClassifierPipeline;
import dev.enricher.inference.Entity;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.InferenceSettings.Device;
import dev.enricher.inference.InferenceSettings.Precision;
import dev.enricher.inference.LabelScore;
import dev.enricher.inference.Logits;
import dev.enricher.inference.ModelBundle;
import dev.enricher.inference.NerPipeline;
import dev.enricher.inference.Pipeline;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.inference.TokenClassification;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Speed and scores of a model's variants against its fp32 file, in one process on the same texts (issue 13,
 * {@code docs/benchmark-results.md}). Developer tooling: depends on the service, never the reverse.
 *
 * <pre>
 * VariantBench sentiment|ner TEST_JSONL NAME=BUNDLE_DIR[:exact|fast] ... [--rounds N] [--threads N]
 * </pre>
 *
 * <p>The first variant is the reference (the fp32 bundle). Each bundle is opened on CPU at its precision (default
 * {@code exact}), so the file the service would choose runs; {@code ModelBundle.file()} is printed. Speed: the
 * test texts tokenized once, sorted by length and cut into batches of 32 (as the service's padding-aware runs); each round runs every batch through
 * {@code ModelBundle.run} for every variant in turn (the order rotates each round), after one warm-up pass;
 * the median round gives ms per batch, events/s and the calling thread's CPU ms per batch. Scores, through the
 * service's pipelines: sentiment compares the scores of every label (softmax) with the reference's, the top-label
 * agreement, and accuracy and macro-F1 against the gold labels; NER compares every content token's label
 * probabilities (softmax of the logits), the argmax agreement, and entity micro-F1 (aggregation first, exact
 * span and type, as {@code StarterModelsIT}) against the gold entities. Single-threaded callers.
 */
public final class VariantBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 32;

    private VariantBench() {}

    private record Variant(String name, Path dir, Precision precision) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: VariantBench sentiment|ner TEST_JSONL NAME=DIR[:exact|fast] ... [--rounds N] "
                    + "[--threads N]");
            System.exit(2);
        }
        boolean ner = args[0].equals("ner");
        List<JsonNode> test = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            test.add(JSON.readTree(line));
        }
        List<Variant> variants = new ArrayList<>();
        int rounds = 5;
        int threads = 1;
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> {
                    String[] nameDir = args[i].split("=", 2);
                    String[] dirPrecision = nameDir[1].split(":", 2);
                    variants.add(new Variant(nameDir[0], Path.of(dirPrecision[0]),
                            dirPrecision.length > 1 ? Precision.parse(dirPrecision[1]) : Precision.EXACT));
                }
            }
        }
        List<String> texts = test.stream().map(t -> t.get("text").asText()).toList();
        Map<Variant, Pipeline<?>> pipelines = new LinkedHashMap<>();
        try {
            for (Variant v : variants) {
                InferenceSettings settings = new InferenceSettings(Device.CPU, 0, false, threads, false, v.precision());
                Pipeline<?> p = ner
                        ? NerPipeline.open(v.dir(), settings, TokenClassification.Options.of(Aggregation.FIRST,
                                TokenClassification.Windows.TRUNCATE), 0, BatchLimits.ofSize(BATCH))
                        : ClassifierPipeline.open(v.dir(), settings, new SequenceClassification.Options(
                                ClassificationFunction.DEFAULT, 0, SequenceClassification.LongText.TRUNCATE), 0,
                                BatchLimits.ofSize(BATCH));
                pipelines.put(v, p);
                System.out.printf(Locale.ROOT, "%s: %s/%s, %,d bytes, sha256 %s, %s, precision %s%n", v.name(),
                        p.bundle().name(), p.bundle().file(), Files.size(p.bundle().dir().resolve(p.bundle().file())),
                        p.bundle().sha256(), p.bundle().device(), p.bundle().precision());
            }
            speed(pipelines, texts, rounds);
            if (ner) {
                nerScores(pipelines, test, texts);
            } else {
                sentimentScores(pipelines, test, texts);
            }
        } finally {
            pipelines.values().forEach(Pipeline::close);
        }
    }

    /** The texts' first windows in batches of {@link #BATCH}, in the texts' order or sorted by length. */
    private static List<List<TokenWindow>> batches(Pipeline<?> pipeline, List<String> texts, boolean byLength) {
        List<TokenWindow> windows = new ArrayList<>(pipeline.tokenizer().encodeAll(texts).stream()
                .map(Tokenized::first).toList());
        if (byLength) {
            windows.sort(Comparator.comparingInt(TokenWindow::length));
        }
        List<List<TokenWindow>> batches = new ArrayList<>();
        for (int i = 0; i < windows.size(); i += BATCH) {
            batches.add(List.copyOf(windows.subList(i, Math.min(windows.size(), i + BATCH))));
        }
        return batches;
    }

    private static void speed(Map<Variant, Pipeline<?>> pipelines, List<String> texts, int rounds) {
        List<Variant> order = new ArrayList<>(pipelines.keySet());
        List<List<TokenWindow>> batches = batches(pipelines.get(order.get(0)), texts, true);
        long tokens = batches.stream().flatMap(List::stream).mapToLong(TokenWindow::length).sum();
        long padded = batches.stream().mapToLong(b -> (long) b.size() * b.stream().mapToInt(TokenWindow::length)
                .max().orElse(0)).sum();
        System.out.printf(Locale.ROOT, "speed: %d texts, %d batches of up to %d sorted by length, mean %.1f tokens, "
                + "padding efficiency %.2f, %d rounds after 1 warm-up pass%n", texts.size(), batches.size(), BATCH,
                (double) tokens / texts.size(), (double) tokens / padded, rounds);
        Map<Variant, double[]> wallMs = new LinkedHashMap<>();
        Map<Variant, double[]> cpuMs = new LinkedHashMap<>();
        for (Variant v : order) {
            wallMs.put(v, new double[rounds]);
            cpuMs.put(v, new double[rounds]);
            batches.forEach(b -> pipelines.get(v).bundle().run(b));
        }
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < order.size(); k++) {
                Variant v = order.get((k + r) % order.size());
                ModelBundle bundle = pipelines.get(v).bundle();
                long cpu0 = CpuClock.currentThread();
                long t0 = System.nanoTime();
                for (List<TokenWindow> b : batches) {
                    bundle.run(b);
                }
                wallMs.get(v)[r] = (System.nanoTime() - t0) / 1e6 / batches.size();
                cpuMs.get(v)[r] = (CpuClock.currentThread() - cpu0) / 1e6 / batches.size();
            }
        }
        double reference = median(wallMs.get(order.get(0)));
        System.out.println("| variant | ms per batch of 32 (median round) | rounds min-max | events/s | CPU ms per batch "
                + "| speed vs fp32 |");
        System.out.println("|---|---|---|---|---|---|");
        for (Variant v : order) {
            double[] w = wallMs.get(v);
            double m = median(w);
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f-%.1f | %.0f | %.1f | %.2fx |%n", v.name(), m,
                    Arrays.stream(w).min().orElse(0), Arrays.stream(w).max().orElse(0),
                    texts.size() / (m * batches.size() / 1000.0), median(cpuMs.get(v)), reference / m);
        }
    }

    private static void sentimentScores(Map<Variant, Pipeline<?>> pipelines, List<JsonNode> test, List<String> texts) {
        List<Variant> order = new ArrayList<>(pipelines.keySet());
        List<String> labels = null;
        List<Map<String, Float>> reference = null;
        System.out.println("| variant | max abs d(score) | mean abs d(score) | top label agrees | accuracy | macro-F1 |");
        System.out.println("|---|---|---|---|---|---|");
        for (Variant v : order) {
            List<SequenceClassification.Result> results = ((ClassifierPipeline) pipelines.get(v)).predict(texts);
            List<Map<String, Float>> scores = results.stream().map(r -> {
                Map<String, Float> m = new LinkedHashMap<>();
                for (LabelScore s : r.scores()) {
                    m.put(s.label(), s.score());
                }
                return m;
            }).toList();
            if (reference == null) {
                reference = scores;
                labels = List.copyOf(pipelines.get(v).bundle().config().labels());
            }
            double max = 0;
            double sum = 0;
            int n = 0;
            int agree = 0;
            int correct = 0;
            int[][] confusion = new int[labels.size()][labels.size()];
            for (int i = 0; i < texts.size(); i++) {
                for (String label : labels) {
                    double d = Math.abs(scores.get(i).get(label) - reference.get(i).get(label));
                    max = Math.max(max, d);
                    sum += d;
                    n++;
                }
                String top = results.get(i).top().label();
                agree += top.equals(top(reference.get(i))) ? 1 : 0;
                String gold = test.get(i).get("label").asText();
                correct += top.equals(gold) ? 1 : 0;
                confusion[labels.indexOf(gold)][labels.indexOf(top)]++;
            }
            double f1Sum = 0;
            for (int k = 0; k < labels.size(); k++) {
                int predicted = 0;
                int gold = 0;
                for (int j = 0; j < labels.size(); j++) {
                    predicted += confusion[j][k];
                    gold += confusion[k][j];
                }
                f1Sum += f1(confusion[k][k], predicted, gold);
            }
            System.out.printf(Locale.ROOT, "| %s | %.2e | %.2e | %.2f%% | %.4f | %.4f |%n", v.name(), max, sum / n,
                    100.0 * agree / texts.size(), (double) correct / texts.size(), f1Sum / labels.size());
        }
    }

    private static String top(Map<String, Float> scores) {
        return scores.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    private static void nerScores(Map<Variant, Pipeline<?>> pipelines, List<JsonNode> test, List<String> texts) {
        List<Variant> order = new ArrayList<>(pipelines.keySet());
        List<List<TokenWindow>> batches = batches(pipelines.get(order.get(0)), texts, false);
        List<float[]> reference = null;
        List<Set<String>> referenceEntities = null;
        System.out.println("| variant | max abs d(token prob) | mean abs d(token prob) | token label agrees | entities "
                + "as fp32 | entity micro-F1 |");
        System.out.println("|---|---|---|---|---|---|");
        for (Variant v : order) {
            NerPipeline pipeline = (NerPipeline) pipelines.get(v);
            List<float[]> probabilities = new ArrayList<>();
            for (List<TokenWindow> b : batches) {
                Logits logits = pipeline.bundle().run(b);
                for (int i = 0; i < b.size(); i++) {
                    TokenWindow w = b.get(i);
                    float[][] rows = logits.tokens(i, w.length());
                    for (int t = 0; t < w.length(); t++) {
                        if (!w.special()[t]) {
                            probabilities.add(softmax(rows[t]));
                        }
                    }
                }
            }
            List<TokenClassification.Result> results = pipeline.predict(texts);
            List<Set<String>> entities = results.stream().map(r -> {
                Set<String> s = new HashSet<>();
                for (Entity e : r.entities()) {
                    s.add(e.label() + "@" + e.start() + "-" + e.end());
                }
                return s;
            }).toList();
            if (reference == null) {
                reference = probabilities;
                referenceEntities = entities;
            }
            double max = 0;
            double sum = 0;
            long n = 0;
            int agree = 0;
            for (int t = 0; t < probabilities.size(); t++) {
                float[] p = probabilities.get(t);
                float[] q = reference.get(t);
                for (int k = 0; k < p.length; k++) {
                    double d = Math.abs(p[k] - q[k]);
                    max = Math.max(max, d);
                    sum += d;
                    n++;
                }
                agree += argmax(p) == argmax(q) ? 1 : 0;
            }
            int same = 0;
            int tp = 0;
            int predicted = 0;
            int gold = 0;
            for (int i = 0; i < texts.size(); i++) {
                same += entities.get(i).equals(referenceEntities.get(i)) ? 1 : 0;
                Set<String> want = new HashSet<>();
                for (JsonNode e : test.get(i).get("entities")) {
                    want.add(e.get("type").asText() + "@" + e.get("start").asInt() + "-" + e.get("end").asInt());
                }
                gold += want.size();
                predicted += entities.get(i).size();
                tp += (int) entities.get(i).stream().filter(want::contains).count();
            }
            System.out.printf(Locale.ROOT, "| %s | %.2e | %.2e | %.2f%% of %d | %.2f%% of texts | %.4f |%n", v.name(),
                    max, sum / n, 100.0 * agree / probabilities.size(), probabilities.size(),
                    100.0 * same / texts.size(), f1(tp, predicted, gold));
        }
    }

    private static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) {
            max = Math.max(max, x);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int k = 0; k < logits.length; k++) {
            e[k] = Math.exp(logits[k] - max);
            sum += e[k];
        }
        float[] out = new float[logits.length];
        for (int k = 0; k < logits.length; k++) {
            out[k] = (float) (e[k] / sum);
        }
        return out;
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }

    private static double f1(int truePositives, int predicted, int gold) {
        if (truePositives == 0) {
            return 0;
        }
        double p = (double) truePositives / predicted;
        double r = (double) truePositives / gold;
        return 2 * p * r / (p + r);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
