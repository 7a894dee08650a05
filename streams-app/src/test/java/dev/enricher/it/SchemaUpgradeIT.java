package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.app.EnricherService;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.RegistryException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What docs/schema.md says of the move from EnrichedEvent 1 to 2, against a real registry (Apicurio, Confluent
 * API): a subject holding version 1 refuses version 2 under each compatibility mode that checks, and the service
 * stops at start with the registry's answer; a new subject at the recommended FULL_TRANSITIVE takes version 2.
 */
class SchemaUpgradeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ApicurioRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = ApicurioRegistry.start();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"BACKWARD", "FORWARD", "FULL"})
    void aVersionOneSubjectRefusesVersionTwoAndTheServiceStopsAtStart(String mode) throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("v1-" + mode.toLowerCase(java.util.Locale.ROOT));
        String subject = prefix + "-out-value";
        register(subject, mode, previousRelease());
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        props.put(EnricherConfig.SCHEMA_REGISTRY_URL, registry.url());
        RegistryException e = assertThrows(RegistryException.Incompatible.class,
                () -> EnricherService.create(new EnricherConfig(props)));
        System.out.println("v2 under a v1 subject at " + mode + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(subject) && e.getMessage().contains("HTTP 409"), e.getMessage());
    }

    @Test
    void aNewSubjectAtFullTransitiveTakesVersionTwo() throws Exception {
        register(KafkaTestSupport.uniquePrefix("v2") + "-out-value", "FULL_TRANSITIVE",
                EnrichedEvent.getClassSchema().toString());
    }

    private static void register(String subject, String mode, String schema) throws Exception {
        var config = registry.request("PUT", "/config/" + subject,
                JSON.createObjectNode().put("compatibility", mode).toString());
        assertEquals(200, config.statusCode(), config.body());
        var registered = registry.request("POST", "/subjects/" + subject + "/versions",
                JSON.createObjectNode().put("schema", schema).toString());
        assertEquals(200, registered.statusCode(), registered.body());
    }

    /** EnrichedEvent as the previous release wrote it (schemas' test resources keep it). */
    private static String previousRelease() throws Exception {
        return Files.readString(Path.of("..", "schemas", "src", "test", "resources", "previous", "EnrichedEvent.avsc"),
                StandardCharsets.UTF_8);
    }
}
