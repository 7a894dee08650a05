package dev.enricher.devtools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code java -jar devtools/target/enricher-dev.jar demo} as the README runs it: the starter models by default. */
class DemoJarIT {
    static final Path JAR = Path.of("target", "enricher-dev.jar");

    @Test
    void demoRunsTheStarterModelsByDefault() throws Exception {
        assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn package): " + JAR.toAbsolutePath());
        Path repo = Path.of("..").toAbsolutePath().normalize();
        List<String> out = runJar(repo, 300, "demo", "--events", "60");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> records = new ArrayList<>();
        for (String line : out) {
            if (line.startsWith("{")) {
                records.add(json.readTree(line));
            }
        }
        assertTrue(out.stream().anyMatch(l -> l.startsWith("summary: in=60 out=59 dlq=1 ")), String.join("\n", out));
        assertEquals(59, records.size());
        JsonNode merkel = records.stream().filter(r -> r.get("text").asText().startsWith("Barack Obama met Angela Merkel"))
                .findFirst().orElseThrow(() -> new AssertionError("no Obama/Merkel event among the 59"));
        System.out.println("demo record: " + merkel);
        assertEquals(1, merkel.get("classifications").size(), merkel.toString());
        assertEquals("classifier", merkel.get("classifications").get(0).get("task").asText());
        assertTrue(merkel.get("classifications").get(0).get("model").asText().startsWith("starter-sentiment@"),
                merkel.toString());
        assertTrue(merkel.get("ner").get("model").asText().startsWith("starter-ner@"), merkel.toString());
        assertEquals(System.getProperty("enricher.build.version"), merkel.get("service_version").asText());
        List<String> groups = new ArrayList<>();
        merkel.get("entities").forEach(e -> groups.add(e.get("entity_group").asText() + ":" + e.get("word").asText()));
        assertEquals(List.of("PER:barack obama", "PER:angela merkel", "LOC:berlin"), groups);
    }

    /** Runs {@code java -jar enricher-dev.jar args} in {@code dir}; asserts exit code 0; returns its stdout lines. */
    static List<String> runJar(Path dir, int timeoutSeconds, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaBin, "-jar", JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(process.waitFor(timeoutSeconds, TimeUnit.SECONDS), args[0] + " did not finish");
        assertEquals(0, process.exitValue(), "exit code of " + command + "; output:\n" + out);
        return out.lines().toList();
    }
}
