package dev.enricher.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.config.EnricherConfig;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code config} command lists exactly the keys of EnricherConfig's ConfigDef, with their defaults and docs. */
class ConfigCommandTest {

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        List<String> all = new ArrayList<>(List.of("config"));
        all.addAll(List.of(args));
        assertEquals(0, cli.execute(all.toArray(String[]::new)));
        return out.toString();
    }

    @Test
    void everyKeyIsPrintedOnceWithItsDocDefaultAndEnvironmentVariable() {
        List<String> lines = run().lines().toList();
        Map<String, ConfigDef.ConfigKey> keys = EnricherConfig.configDef().configKeys();
        List<String> printedKeys = lines.stream().filter(keys::containsKey).toList();
        assertEquals(new ArrayList<>(keys.keySet()), printedKeys, "every key, once, in definition order");
        for (ConfigDef.ConfigKey key : keys.values()) {
            int at = lines.indexOf(key.name);
            assertEquals("    " + key.documentation, lines.get(at + 1), key.name);
            String facts = lines.get(at + 2);
            assertTrue(facts.contains("default: " + ConfigCommand.shownDefault(key) + ";")
                    && facts.contains("env: " + EnricherConfig.envName(key.name)), facts);
        }
        assertEquals("    type: int; default: 32; valid: [1,...,4096]; importance: high; env: "
                + "ENRICHER_BATCH_MAX_RECORDS", lines.get(lines.indexOf(EnricherConfig.BATCH_MAX_RECORDS) + 2));
        assertTrue(lines.get(lines.indexOf(EnricherConfig.SCHEMA_REGISTRY_URL) + 2).contains("default: (empty);"));
        assertTrue(lines.get(lines.indexOf(EnricherConfig.SCHEMA_REGISTRY_BEARER_TOKEN) + 2).contains("default: (none);"));
    }

    @Test
    void thePropertiesFormatUncommentedIsTheDefaultConfiguration() throws Exception {
        String text = run("--format", "properties");
        Map<String, ConfigDef.ConfigKey> keys = EnricherConfig.configDef().configKeys();
        StringBuilder uncommented = new StringBuilder();
        int settings = 0;
        for (String line : text.lines().toList()) {
            assertTrue(line.isEmpty() || line.startsWith("#"), "everything is commented out: " + line);
            int eq = line.indexOf('=');
            if (eq > 1 && keys.containsKey(line.substring(1, eq)) && keys.get(line.substring(1, eq)).defaultValue != null) {
                uncommented.append(line.substring(1)).append('\n');
                settings++;
            }
        }
        long withDefaults = keys.values().stream().filter(k -> k.defaultValue != null).count();
        assertEquals(withDefaults, settings, "a line per key with a default");
        Properties file = new Properties();
        file.load(new StringReader(uncommented.toString()));
        Map<String, Object> props = new HashMap<>();
        file.forEach((k, v) -> props.put(String.valueOf(k), v));
        props.put(EnricherConfig.INPUT_TOPICS, "in");
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, "/models/x");
        Map<String, Object> minimal = Map.of(EnricherConfig.INPUT_TOPICS, "in", EnricherConfig.CLASSIFIER_MODEL_DIR,
                "/models/x");
        assertEquals(new EnricherConfig(minimal).values(), new EnricherConfig(props).values());
    }
}
