package dev.enricher.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code java -jar enricher.jar demo} as the README runs it: the starter models by default. */
class DemoJarIT {
    @Test
    void demoRunsTheStarterModelsByDefault() throws Exception {
        assertTrue(Files.isRegularFile(PredictJarIT.JAR), "build the jar first (mvn package)");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(javaBin, "-jar", PredictJarIT.JAR.toAbsolutePath().toString(), "demo",
                "--events", "60").directory(repo.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(300, TimeUnit.SECONDS), "demo did not finish");
        assertEquals(0, process.exitValue(), "demo exit code; output:\n" + out);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> records = new ArrayList<>();
        for (String line : out.lines().toList()) {
            if (line.startsWith("{")) {
                records.add(json.readTree(line));
            }
        }
        assertTrue(out.lines().anyMatch(l -> l.startsWith("summary: in=60 out=59 dlq=1 ")), out);
        assertEquals(59, records.size());
        JsonNode merkel = records.stream().filter(r -> r.get("text").asText().startsWith("Barack Obama met Angela Merkel"))
                .findFirst().orElseThrow(() -> new AssertionError("no Obama/Merkel event among the 59"));
        System.out.println("demo record: " + merkel);
        assertTrue(merkel.get("models").get(0).asText().startsWith("classifier:starter-sentiment@"), merkel.toString());
        assertTrue(merkel.get("models").get(1).asText().startsWith("ner:starter-ner@"), merkel.toString());
        List<String> groups = new ArrayList<>();
        merkel.get("entities").forEach(e -> groups.add(e.get("group").asText() + ":" + e.get("word").asText()));
        assertEquals(List.of("PER:barack obama", "PER:angela merkel", "LOC:berlin"), groups);
    }
}
