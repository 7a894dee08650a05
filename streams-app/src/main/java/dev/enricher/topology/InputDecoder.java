package dev.enricher.topology;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.enricher.avro.TextEvent;
import dev.enricher.config.EnricherConfig.InputFormat;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.RegistryException;
import dev.enricher.serde.SchemaRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Turns an input value into an event (id, text, metadata, event time) or a rejection with its reason. Pure and
 * thread-safe.
 */
public final class InputDecoder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InputFormat format;
    private final String textField;
    private final String idField;
    private final int maxChars;
    private final SchemaRegistry writerSchemas;
    private final Map<Integer, SpecificDatumReader<TextEvent>> readers = new ConcurrentHashMap<>();

    /**
     * @param writerSchemas where writer schemas of Confluent-format Avro input are looked up by id; null reads
     *     them with the current TextEvent schema
     */
    public InputDecoder(InputFormat format, String textField, String idField, int maxChars, SchemaRegistry writerSchemas) {
        this.format = format;
        this.textField = textField;
        this.idField = idField;
        this.maxChars = maxChars;
        this.writerSchemas = writerSchemas;
    }

    /** A decoded event; {@code id} and {@code eventTime} may be null, {@code metadata} may be null. */
    public record Decoded(String id, String text, Map<String, String> metadata, Long eventTime) {}

    /** Why a value is not an event. */
    public record Rejected(DeadLetterReason reason, String message) {}

    /**
     * Either {@link Decoded} or {@link Rejected}; never throws on bad input.
     *
     * @throws RegistryException.Unavailable when the registry cannot be asked for a writer schema: the record
     *     is not bad, so it must be retried, not dead-lettered
     */
    public Object decode(byte[] value) {
        if (value == null) {
            return new Rejected(DeadLetterReason.VALIDATION, "null value (tombstone): no text to enrich");
        }
        Object decoded = switch (format) {
            case TEXT -> text(value);
            case JSON -> json(value);
            case AVRO -> avro(value);
        };
        if (decoded instanceof Decoded d && d.text().length() > maxChars) {
            return new Rejected(DeadLetterReason.OVERSIZE, "text of " + d.text().length() + " characters exceeds "
                    + "input.max.chars=" + maxChars);
        }
        return decoded;
    }

    private static Object text(byte[] value) {
        Object text = utf8(value);
        return text instanceof String s ? new Decoded(null, s, null, null) : text;
    }

    private static Object utf8(byte[] value) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value));
            return chars.toString();
        } catch (CharacterCodingException e) {
            return new Rejected(DeadLetterReason.DESERIALIZATION, "value is not valid UTF-8: " + e.getMessage());
        }
    }

    private Object json(byte[] value) {
        Object text = utf8(value);
        if (text instanceof Rejected r) {
            return r;
        }
        JsonNode node;
        try {
            node = JSON.readTree((String) text);
        } catch (JsonProcessingException e) {
            return new Rejected(DeadLetterReason.DESERIALIZATION, "invalid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return new Rejected(DeadLetterReason.VALIDATION, "expected a JSON object with a '" + textField + "' field");
        }
        JsonNode t = node.get(textField);
        if (t == null || !t.isTextual()) {
            return new Rejected(DeadLetterReason.VALIDATION, "field '" + textField + "' is missing or not a string "
                    + "(input.json.text.field=" + textField + ")");
        }
        JsonNode id = node.get(idField);
        String idText = id == null || id.isNull() ? null : id.isValueNode() ? id.asText() : id.toString();
        return new Decoded(idText, t.asText(), null, null);
    }

    private Object avro(byte[] value) {
        boolean framed = value.length >= ConfluentAvro.HEADER_BYTES && value[0] == ConfluentAvro.MAGIC_BYTE;
        int offset = framed ? ConfluentAvro.HEADER_BYTES : 0;
        try {
            SpecificDatumReader<TextEvent> reader = framed && writerSchemas != null
                    ? readers.computeIfAbsent(ByteBuffer.wrap(value, 1, 4).getInt(),
                        id -> new SpecificDatumReader<>(writerSchemas.byId(id), TextEvent.getClassSchema()))
                    : new SpecificDatumReader<>(TextEvent.getClassSchema());
            TextEvent event = reader.read(null, DecoderFactory.get().binaryDecoder(value, offset, value.length - offset,
                    null));
            Map<String, String> metadata = event.getMetadata() == null ? null : new HashMap<>(event.getMetadata());
            Instant time = event.getEventTime();
            return new Decoded(event.getId(), event.getText(), metadata, time == null ? null : time.toEpochMilli());
        } catch (RegistryException.Unavailable e) {
            throw e;
        } catch (IOException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
            // Hostile length prefixes stop at Avro's limits (AvroLimits); an Error here is the record's, not the JVM's.
            return new Rejected(DeadLetterReason.DESERIALIZATION, "not an Avro TextEvent: " + e);
        }
    }
}
