package dev.enricher.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code java -jar enricher.jar demo} as the README runs it: the starter models by default. */
class DemoJarIT {
    @Test
    void demoRunsTheStarterModelsByDefault() throws Exception {
        assertTrue(Files.isRegularFile(PredictJarIT.JAR), "build the jar first (mvn package)");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        List<String> out = PredictJarIT.runJar(repo, 300, "demo", "--events", "60");
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
}
