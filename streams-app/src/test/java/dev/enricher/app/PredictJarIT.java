package dev.enricher.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.enricher.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar enricher.jar predict} as a user runs it, compared with the reference vectors. */
class PredictJarIT {
    static final Path JAR = Path.of("target", "enricher.jar");

    @TempDir
    Path temp;

    @Test
    void predictFromTheJarMatchesTransformers() throws Exception {
        assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn package): " + JAR.toAbsolutePath());
        JsonNode golden = TestModels.golden(TestModels.NER);
        Path input = temp.resolve("texts.jsonl");
        Files.writeString(input, PredictCommandTest.inputOf(golden));
        int compared = 0;
        for (String aggregation : List.of("simple", "max")) {
            List<String> lines = run("predict", "--model", TestModels.bundle(TestModels.NER).toString(),
                    "--aggregation", aggregation, "--stride", "32", "--input", input.toString());
            compared += PredictCommandTest.compareLines(golden, aggregation, lines, false);
        }
        JsonNode sentiment = TestModels.golden(TestModels.SENTIMENT);
        Path sentimentInput = temp.resolve("sentiment.jsonl");
        Files.writeString(sentimentInput, PredictCommandTest.inputOf(sentiment));
        List<String> lines = run("predict", "--model", TestModels.bundle(TestModels.SENTIMENT).toString(), "--input",
                sentimentInput.toString());
        compared += PredictCommandTest.compareLines(sentiment, "default", lines, false);
        System.out.println("enricher.jar predict: " + compared + " lines equal to transformers");
    }

    static List<String> run(String... args) throws Exception {
        return runJar(Path.of("."), 120, args);
    }

    /** Runs {@code java -jar enricher.jar args} in {@code dir}; asserts exit code 0; returns its stdout lines. */
    static List<String> runJar(Path dir, int timeoutSeconds, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(javaBin, "-jar", JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(process.waitFor(timeoutSeconds, TimeUnit.SECONDS), args[0] + " did not finish");
        assertEquals(0, process.exitValue(), "exit code of " + command + "; output:\n" + out);
        return out.lines().toList();
    }
}
