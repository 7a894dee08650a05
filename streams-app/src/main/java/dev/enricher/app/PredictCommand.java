package dev.enricher.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.enricher.inference.Aggregation;
import dev.enricher.inference.BatchLimits;
import dev.enricher.inference.ClassificationFunction;
import dev.enricher.inference.ClassifierPipeline;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.ModelBundle;
import dev.enricher.inference.NerPipeline;
import dev.enricher.inference.Pipeline;
import dev.enricher.inference.PredictionJson;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.inference.TokenClassification;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code predict}: JSON lines {@code {"text": ...}} in, one JSON line out per input line, in order: what the
 * transformers pipeline answers for that text. A bad line gives {@code {"error": ...}} and the command goes on.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Runs a model bundle on JSON lines {\"text\": ...} and prints one JSON line per input line: the "
                + "transformers pipeline's output for that text (text-classification or token-classification).")
final class PredictCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model bundle folder (model.onnx or onnx/model.onnx, "
            + "config.json, tokenizer.json).")
    Path model;

    @Option(names = "--aggregation", defaultValue = "none",
            description = "Token classifiers: none, simple, first, average or max (default: ${DEFAULT-VALUE}, as transformers).")
    String aggregation;

    @Option(names = "--function", defaultValue = "default",
            description = "Classifiers: default, sigmoid, softmax or none (default: ${DEFAULT-VALUE}: by problem_type, as transformers).")
    String function;

    @Option(names = "--stride", description = "Split texts longer than the model into windows overlapping by N tokens "
            + "(token classifiers: as transformers' stride; classifiers: needs --long-text window_mean|window_max).")
    Integer stride;

    @Option(names = "--windows", defaultValue = "transformers",
            description = "Token classifiers with --stride: transformers (the windows transformers 5.17 runs) or full "
                    + "(windows over the whole text). Default: ${DEFAULT-VALUE}.")
    String windows;

    @Option(names = "--long-text", defaultValue = "truncate",
            description = "Classifiers: truncate (as transformers), window_mean or window_max. Default: ${DEFAULT-VALUE}.")
    String longText;

    @Option(names = "--top-k", defaultValue = "0", description = "Classifiers: labels to print, best first; 0 = all (default).")
    int topK;

    @Option(names = "--batch-size", defaultValue = "32", description = "Windows per model run (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--input", description = "JSON-lines file (default: standard input).")
    Path input;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or tensorrt (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--device-id", defaultValue = "0", description = "GPU ordinal (default: ${DEFAULT-VALUE}).")
    int deviceId;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--precision", defaultValue = "exact", description = "exact (model.onnx, as transformers) or fast "
            + "(model_quantized.onnx on CPU, model_fp16.onnx on GPUs, when present). Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--details", description = "Wrap each result as {\"result\": ..., \"truncated\": ..., \"windows\": ..., "
            + "\"model\": {\"bundle\", \"file\", \"sha256\", \"device\", \"precision\"}}.")
    boolean details;

    InputStream in = System.in;
    PrintStream out = System.out;

    /** One input line's answer: its JSON, or an error. */
    private record Line(String text, String error) {}

    @Override
    public Integer call() throws IOException {
        InferenceSettings settings;
        try {
            settings = new InferenceSettings(InferenceSettings.Device.parse(device), deviceId, false, threads, false,
                    InferenceSettings.Precision.parse(precision));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--device/--threads/--precision: " + e.getMessage());
        }
        Function<List<String>, List<JsonNode>> predictor;
        Pipeline<?> pipeline;
        ModelBundle bundle = ModelBundle.load(model, settings);
        BatchLimits limits = new BatchLimits(batchSize, Integer.MAX_VALUE);
        if (bundle.task() == ModelBundle.Task.TOKEN_CLASSIFICATION) {
            NerPipeline ner = NerPipeline.of(bundle, nerOptions(bundle), stride == null ? 0 : stride, limits);
            pipeline = ner;
            predictor = texts -> ner.predict(texts).stream()
                    .map(r -> wrap(PredictionJson.entities(r.entities()), r.truncated(), r.windows(), bundle)).toList();
        } else {
            ClassifierPipeline classifier = ClassifierPipeline.of(bundle, classifierOptions(bundle),
                    stride == null ? 0 : stride, limits);
            pipeline = classifier;
            predictor = texts -> classifier.predict(texts).stream()
                    .map(r -> wrap(PredictionJson.scores(r.scores()), r.truncated(), r.windows(), bundle)).toList();
        }
        try (pipeline; BufferedReader reader = new BufferedReader(new InputStreamReader(
                input == null ? in : Files.newInputStream(input), StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            for (String line; (line = reader.readLine()) != null; ) {
                lines.add(line);
                if (lines.size() >= batchSize || !reader.ready()) {
                    answer(lines, predictor);
                    lines.clear();
                }
            }
            answer(lines, predictor);
        }
        out.flush();
        return 0;
    }

    private JsonNode wrap(JsonNode result, boolean truncated, int windowCount, ModelBundle bundle) {
        if (!details) {
            return result;
        }
        ObjectNode o = JSON.createObjectNode();
        o.set("result", result);
        o.put("truncated", truncated).put("windows", windowCount);
        o.putObject("model").put("bundle", bundle.name()).put("file", bundle.file()).put("sha256", bundle.sha256())
                .put("device", bundle.device()).put("precision", bundle.precision());
        return o;
    }

    private void answer(List<String> lines, Function<List<String>, List<JsonNode>> predictor) throws IOException {
        List<Line> parsed = new ArrayList<>(lines.size());
        List<String> texts = new ArrayList<>();
        for (String line : lines) {
            parsed.add(parse(line));
            if (parsed.get(parsed.size() - 1).error() == null) {
                texts.add(parsed.get(parsed.size() - 1).text());
            }
        }
        List<JsonNode> results = texts.isEmpty() ? List.of() : predictor.apply(texts);
        int next = 0;
        for (Line line : parsed) {
            if (line.error() != null) {
                out.println(JSON.writeValueAsString(JSON.createObjectNode().put("error", line.error())));
            } else {
                out.println(JSON.writeValueAsString(results.get(next++)));
            }
        }
    }

    private static Line parse(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            return new Line(null, "invalid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (node == null || !node.isObject()) {
            return new Line(null, "expected a JSON object {\"text\": \"...\"}");
        }
        JsonNode text = node.get("text");
        if (text == null || !text.isTextual()) {
            return new Line(null, "expected a string field \"text\"");
        }
        return new Line(text.asText(), null);
    }

    private TokenClassification.Options nerOptions(ModelBundle bundle) {
        try {
            Aggregation agg = Aggregation.parse(aggregation);
            TokenClassification.Windows mode = stride == null ? TokenClassification.Windows.TRUNCATE
                    : TokenClassification.Windows.parse(windows);
            if (mode == TokenClassification.Windows.TRUNCATE && stride != null) {
                throw new IllegalArgumentException("--windows truncate cannot be combined with --stride");
            }
            return TokenClassification.Options.of(agg, mode);
        } catch (IllegalArgumentException e) {
            bundle.close();
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private SequenceClassification.Options classifierOptions(ModelBundle bundle) {
        try {
            SequenceClassification.LongText mode = SequenceClassification.LongText.parse(longText);
            if (stride != null && mode == SequenceClassification.LongText.TRUNCATE) {
                throw new IllegalArgumentException("--stride for a classifier needs --long-text window_mean or "
                        + "window_max (texts are truncated otherwise, as transformers does)");
            }
            return new SequenceClassification.Options(ClassificationFunction.parse(function), topK, mode);
        } catch (IllegalArgumentException e) {
            bundle.close();
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
