package dev.enricher.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.enricher.avro.TextEvent;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.Test;

/**
 * Subject names per strategy and the serializer without auto-registration (the registered version used, checked
 * against the serializer's schema), against the in-process registry. RegistryIT runs them against Apicurio.
 */
class ConfluentAvroRegistrationTest {
    private static final Schema SCHEMA = TextEvent.getClassSchema();
    private final InProcessSchemaRegistry registry = new InProcessSchemaRegistry();

    private static ConfluentAvro.Registration lookup(String version) {
        return new ConfluentAvro.Registration(SubjectNameStrategy.TOPIC, false, version);
    }

    private static TextEvent event() {
        return TextEvent.newBuilder().setId("e1").setText("Angela Merkel visited Paris").setMetadata(Map.of("k", "v"))
                .build();
    }

    @Test
    void subjectsAreNamedAsConfluentsStrategiesNameThem() {
        assertEquals("orders-value", SubjectNameStrategy.TOPIC.valueSubject("orders", SCHEMA));
        assertEquals("dev.enricher.avro.TextEvent", SubjectNameStrategy.RECORD.valueSubject("orders", SCHEMA));
        assertEquals("orders-dev.enricher.avro.TextEvent", SubjectNameStrategy.TOPIC_RECORD.valueSubject("orders", SCHEMA));
        assertEquals(SubjectNameStrategy.TOPIC_RECORD, SubjectNameStrategy.parse("topic_record"));
        for (SubjectNameStrategy strategy : SubjectNameStrategy.values()) {
            var serializer = new ConfluentAvro.AvroSerializer<TextEvent>(registry, SCHEMA,
                    new ConfluentAvro.Registration(strategy, true, "latest"));
            int id = serializer.idFor("orders");
            assertEquals(id, registry.version(strategy.valueSubject("orders", SCHEMA), "latest").id(), strategy.name());
        }
    }

    @Test
    void withoutAutoRegistrationAMissingSubjectFailsNamingItAndTheSetting() {
        var serializer = new ConfluentAvro.AvroSerializer<TextEvent>(registry, SCHEMA, lookup("latest"));
        RegistryException e = assertThrows(RegistryException.NotFound.class, () -> serializer.idFor("orders"));
        assertTrue(e.getMessage().contains("subject orders-value") && e.getMessage().contains(
                "schema.registry.auto.register=false"), e.getMessage());
    }

    @Test
    void withoutAutoRegistrationTheRegisteredIdIsWrittenAndNothingIsRegistered() throws Exception {
        registry.register("unrelated", Schema.create(Schema.Type.STRING));
        int registered = registry.register("orders-value", SCHEMA);
        var serializer = new ConfluentAvro.AvroSerializer<TextEvent>(registry, SCHEMA, lookup("latest"));
        byte[] bytes = serializer.serialize("orders", event());
        assertEquals(registered, ByteBuffer.wrap(bytes, 1, 4).getInt());
        assertEquals(2, registered, "the id of the pre-registered schema, not a new one");
        assertEquals(registered, registry.version("orders-value", "latest").id());
        assertEquals(1, registry.version("orders-value", "latest").version(), "no version added");
        assertEquals(event(), new ConfluentAvro.AvroDeserializer<TextEvent>(registry, SCHEMA).deserialize("orders", bytes));
    }

    @Test
    void aNewerRegisteredSchemaThatReadsTheServicesIsWrittenWithItsOwnIdAndBytes() throws Exception {
        Schema newer = withOptionalField(SCHEMA, "source");
        registry.register("orders-value", SCHEMA);
        int newerId = registry.register("orders-value", newer);
        var latest = new ConfluentAvro.AvroSerializer<TextEvent>(registry, SCHEMA, lookup("latest"));
        byte[] bytes = latest.serialize("orders", event());
        assertEquals(newerId, ByteBuffer.wrap(bytes, 1, 4).getInt());
        // a consumer decodes with the schema of the id: the bytes must be that schema's encoding
        GenericRecord read = new GenericDatumReader<GenericRecord>(newer).read(null,
                DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertEquals("e1", read.get("id").toString());
        assertEquals("Angela Merkel visited Paris", read.get("text").toString());
        assertEquals(null, read.get("source"));
        var first = new ConfluentAvro.AvroSerializer<TextEvent>(registry, SCHEMA, lookup("1"));
        assertEquals(registry.version("orders-value", "1").id(), first.idFor("orders"), "a configured version");
    }

    @Test
    void aRegisteredSchemaThatCannotReadTheServicesFailsNamingSubjectAndVersion() throws Exception {
        Schema other = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"TextEvent\",\"namespace\":"
                + "\"dev.enricher.avro\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"legacy\","
                + "\"type\":\"int\"}]}");
        registry.register("orders-value", other);
        var serializer = new ConfluentAvro.AvroSerializer<TextEvent>(registry, SCHEMA, lookup("latest"));
        RegistryException e = assertThrows(RegistryException.Incompatible.class, () -> serializer.idFor("orders"));
        System.out.println("registered schema the service cannot write: " + e.getMessage());
        assertTrue(e.getMessage().contains("subject orders-value") && e.getMessage().contains("legacy")
                && e.getMessage().contains("schema.registry.auto.register=false"), e.getMessage());
    }

    /** {@code schema} with one more field, an optional string defaulting to null. */
    static Schema withOptionalField(Schema schema, String name) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = (ObjectNode) json.readTree(schema.toString());
        ((ArrayNode) node.get("fields")).addObject().put("name", name).putNull("default")
                .putArray("type").add("null").add("string");
        return new Schema.Parser().parse(node.toString());
    }
}
