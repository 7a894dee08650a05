package dev.enricher.avro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The published schemas evolve compatibly: each current schema reads data written with the previous released
 * version (kept in {@code src/test/resources/previous/}) and the previous version reads current data; fields
 * added since have defaults. When a release changes a schema, copy the released file into {@code previous/}.
 */
class SchemaEvolutionTest {

    static List<Schema> currentSchemas() {
        return List.of(TextEvent.getClassSchema(), EnrichedEvent.getClassSchema());
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void currentSchemaIsCompatibleBothWaysWithThePreviousRelease(Schema current) throws IOException {
        Schema previous = previous(current.getName());
        SchemaCompatibility.SchemaPairCompatibility backward =
                SchemaCompatibility.checkReaderWriterCompatibility(current, previous);
        SchemaCompatibility.SchemaPairCompatibility forward =
                SchemaCompatibility.checkReaderWriterCompatibility(previous, current);
        assertEquals(SchemaCompatibilityType.COMPATIBLE, backward.getType(), "new reads old: " + backward.getDescription());
        assertEquals(SchemaCompatibilityType.COMPATIBLE, forward.getType(), "old reads new: " + forward.getDescription());
        for (Schema.Field field : current.getFields()) {
            if (previous.getField(field.name()) == null) {
                assertTrue(field.hasDefaultValue(), current.getName() + "." + field.name() + " is new and needs a default");
            }
        }
        System.out.println(current.getName() + ": compatible both ways with the previous release ("
                + current.getFields().size() + " fields)");
    }

    private static Schema previous(String name) throws IOException {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/previous/" + name + ".avsc")) {
            return new Schema.Parser().parse(in);
        }
    }
}
