package dev.enricher.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.TestModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code predict} command end to end, in-process: JSON lines in, the transformers pipelines' answers out,
 * compared with the reference vectors. {@code PredictJarIT} does the same through the built jar.
 */
class PredictCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int exitCode, List<String> lines, String errors) {}

    static Run predict(String input, String... args) {
        PredictCommand command = new PredictCommand();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        command.in = new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8));
        command.out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        StringWriter errors = new StringWriter();
        CommandLine cli = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setErr(new PrintWriter(errors));
        int code = cli.execute(args);
        String out = bytes.toString(StandardCharsets.UTF_8);
        return new Run(code, out.isEmpty() ? List.of() : out.lines().toList(), errors.toString());
    }

    static String inputOf(JsonNode golden) throws Exception {
        StringBuilder in = new StringBuilder();
        for (JsonNode c : golden.get("cases")) {
            in.append(JSON.writeValueAsString(JSON.createObjectNode().put("text", c.get("text").asText()))).append('\n');
        }
        return in.toString();
    }

    @Test
    void classifiersPrintWhatTransformersPrintsForEveryFunction() throws Exception {
        int compared = 0;
        for (String name : List.of(TestModels.SENTIMENT, TestModels.MODERATION)) {
            JsonNode golden = TestModels.golden(name);
            for (String function : List.of("default", "sigmoid", "softmax", "none")) {
                Run run = predict(inputOf(golden), "--model", TestModels.bundle(name).toString(), "--function", function,
                        "--batch-size", "5");
                assertEquals(0, run.exitCode(), run.errors());
                compared += compareLines(golden, function, run.lines(), false);
            }
        }
        System.out.println("predict command: " + compared + " classifier lines equal to transformers");
    }

    @Test
    void nerPrintsWhatTransformersPrintsForEveryAggregation() throws Exception {
        JsonNode golden = TestModels.golden(TestModels.NER);
        int compared = 0;
        for (String aggregation : List.of("simple", "first", "average", "max")) {
            Run run = predict(inputOf(golden), "--model", TestModels.bundle(TestModels.NER).toString(),
                    "--aggregation", aggregation, "--stride", "32");
            assertEquals(0, run.exitCode(), run.errors());
            compared += compareLines(golden, aggregation, run.lines(), false);
        }
        Run none = predict(inputOf(golden), "--model", TestModels.bundle(TestModels.NER).toString());
        assertEquals(0, none.exitCode(), none.errors());
        compared += compareLines(golden, "none", none.lines(), true);
        System.out.println("predict command: " + compared + " NER lines equal to transformers");
    }

    @Test
    void exportFoldersOfEveryTokenizerFamilyRunUnchanged() throws Exception {
        int compared = 0;
        for (List<String> family : TestModels.FAMILIES) {
            JsonNode classes = TestModels.familyGolden(family.get(0));
            Run classified = predict(inputOf(classes), "--model", TestModels.bundle("families/" + family.get(0))
                    .toString());
            assertEquals(0, classified.exitCode(), classified.errors());
            compared += compareLines(classes, "default", classified.lines(), false);
            JsonNode entities = TestModels.familyGolden(family.get(1));
            Run tagged = predict(inputOf(entities), "--model", TestModels.bundle("families/" + family.get(1))
                    .toString(), "--aggregation", "average");
            assertEquals(0, tagged.exitCode(), tagged.errors());
            compared += compareLines(entities, "average", tagged.lines(), false);
        }
        System.out.println("predict command: " + compared + " lines of the five tokenizer families equal to "
                + "transformers");
    }

    @Test
    void noneWithStrideIsRefused() {
        Run run = predict("{\"text\": \"x\"}\n", "--model", TestModels.bundle(TestModels.NER).toString(),
                "--aggregation", "none", "--stride", "32");
        assertEquals(2, run.exitCode());
        assertTrue(run.errors().contains("aggregation 'none' cannot be combined with a stride"), run.errors());
    }

    @Test
    void badLinesGiveAnErrorOnTheirLineAndTheRestGoesOn() throws Exception {
        String input = String.join("\n", "{\"text\": \"first\"}", "not json", "{\"txt\": \"wrong field\"}", "[1, 2]",
                "{\"text\": 42}", "", "{\"text\": \"last\"}") + "\n";
        Run run = predict(input, "--model", TestModels.bundle(TestModels.SENTIMENT).toString(), "--top-k", "1");
        assertEquals(0, run.exitCode(), run.errors());
        assertEquals(7, run.lines().size(), run.lines().toString());
        List<JsonNode> out = new ArrayList<>();
        for (String line : run.lines()) {
            out.add(JSON.readTree(line));
        }
        assertTrue(out.get(0).isArray() && out.get(0).size() == 1, out.get(0).toString());
        assertTrue(out.get(1).get("error").asText().startsWith("invalid JSON"), out.get(1).toString());
        assertEquals("expected a string field \"text\"", out.get(2).get("error").asText());
        assertEquals("expected a JSON object {\"text\": \"...\"}", out.get(3).get("error").asText());
        assertEquals("expected a string field \"text\"", out.get(4).get("error").asText());
        assertTrue(out.get(5).has("error"), out.get(5).toString());
        assertTrue(out.get(6).isArray() && out.get(6).size() == 1, out.get(6).toString());
    }

    @Test
    void detailsSayWhetherTheTextWasTruncated() throws Exception {
        String longText = "word ".repeat(300);
        Run run = predict(JSON.writeValueAsString(JSON.createObjectNode().put("text", longText)) + "\n{\"text\": \"short\"}\n",
                "--model", TestModels.bundle(TestModels.MODERATION).toString(), "--details", "--long-text",
                "window_max", "--stride", "16");
        assertEquals(0, run.exitCode(), run.errors());
        JsonNode first = JSON.readTree(run.lines().get(0));
        JsonNode second = JSON.readTree(run.lines().get(1));
        assertTrue(first.get("truncated").asBoolean());
        assertEquals("model.onnx", first.get("model").get("file").asText());
        assertEquals("exact", first.get("model").get("precision").asText());
        assertEquals(3, first.get("windows").asInt(), "300 words in windows of 126 tokens overlapping by 16");
        assertEquals(6, first.get("result").size());
        assertEquals(false, second.get("truncated").asBoolean());
        assertEquals(1, second.get("windows").asInt());
    }

    @Test
    void precisionFastRunsTheQuantizedFileAndDetailsNameIt(@TempDir Path dir) throws Exception {
        for (String name : List.of("model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(TestModels.bundle(TestModels.SENTIMENT).resolve(name), dir.resolve(name));
        }
        Files.copy(Path.of(PredictCommandTest.class.getResource("/variants/tiny-sentiment/model_quantized.onnx")
                .toURI()), dir.resolve("model_quantized.onnx"));
        String input = "{\"text\": \"Have a great day\"}\n";
        for (String precision : List.of("exact", "fast")) {
            Run run = predict(input, "--model", dir.toString(), "--precision", precision, "--details");
            assertEquals(0, run.exitCode(), run.errors());
            assertEquals(1, run.lines().size());
            JsonNode model = JSON.readTree(run.lines().get(0)).get("model");
            String file = precision.equals("fast") ? "model_quantized.onnx" : "model.onnx";
            assertEquals(file, model.get("file").asText());
            assertEquals(precision, model.get("precision").asText());
            assertEquals(TestModels.sha256(dir.resolve(file)),
                    model.get("sha256").asText());
        }
    }

    /** Compares output lines with the golden pipeline answers; returns how many were compared. */
    static int compareLines(JsonNode golden, String key, List<String> lines, boolean skipLong) throws Exception {
        assertEquals(golden.get("cases").size(), lines.size());
        int compared = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode c = golden.get("cases").get(i);
            if (skipLong && c.path("longer_than_model").asBoolean()) {
                continue;
            }
            JsonNode expected = c.get("pipeline").get(key);
            JsonNode actual = JSON.readTree(lines.get(i));
            String where = golden.get("model").asText() + " case " + i + " " + key;
            assertEquals(expected.size(), actual.size(), where + ": " + actual);
            for (int k = 0; k < expected.size(); k++) {
                JsonNode e = expected.get(k);
                JsonNode a = actual.get(k);
                List<String> expectedFields = new ArrayList<>();
                e.fieldNames().forEachRemaining(expectedFields::add);
                List<String> actualFields = new ArrayList<>();
                a.fieldNames().forEachRemaining(actualFields::add);
                assertEquals(expectedFields, actualFields, where + " field names and order");
                for (String field : expectedFields) {
                    if (field.equals("score")) {
                        assertEquals(e.get(field).asDouble(), a.get(field).asDouble(), 1e-4, where + " score");
                    } else {
                        assertEquals(e.get(field), a.get(field), where + " " + field);
                    }
                }
            }
            compared++;
        }
        return compared;
    }
}
