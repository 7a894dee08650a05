package dev.enricher.serde;

import dev.enricher.avro.PendingEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The pending store's values in Avro single-object encoding: a 2-byte marker, the 8-byte fingerprint of the writer
 * schema, then Avro binary.
 *
 * <p>Writes with the current {@link PendingEvent} schema. Reads values written with the current schema or with any
 * released one (listed in {@link #RELEASED_INDEX}, kept by the schemas module), resolved to the current class by
 * Avro schema resolution: so a release restores the changelog every earlier release wrote. A value whose writer
 * schema is neither (a newer release wrote it: downgrades are not supported) fails with a
 * {@link SerializationException} naming its fingerprint and the known ones.
 *
 * <p>Thread-safe: the serializer and deserializer may be shared by all stream threads. The released schemas are read
 * from the classpath once, in the constructor, which fails with {@link IllegalStateException} if one is missing,
 * malformed, or cannot be read by the current schema. Nothing to close.
 */
public final class PendingEventSerde implements Serde<PendingEvent> {
    /** Classpath folder of the released PendingEvent schemas. */
    public static final String RELEASED_FOLDER = "/dev/enricher/avro/released/";
    /** Classpath file listing the released schema files of {@link #RELEASED_FOLDER}, oldest first. */
    public static final String RELEASED_INDEX = RELEASED_FOLDER + "PendingEvent.index";

    private static final int HEADER_LENGTH = 10;

    private final Serializer<PendingEvent> serializer;
    private final Deserializer<PendingEvent> deserializer;

    public PendingEventSerde() {
        Schema current = PendingEvent.getClassSchema();
        Map<Long, String> known = new LinkedHashMap<>();
        SchemaStore.Cache store = new SchemaStore.Cache();
        releasedSchemas().forEach((file, schema) -> {
            checkReadable(current, file, schema);
            store.addSchema(schema);
            known.merge(SchemaNormalization.parsingFingerprint64(schema), file, (a, b) -> a + ", " + b);
        });
        known.merge(SchemaNormalization.parsingFingerprint64(current), "current", (a, b) -> a + " = " + b);
        String knownText = known.entrySet().stream()
                .map(e -> hex(e.getKey()) + " (" + e.getValue() + ")")
                .collect(Collectors.joining(", "));
        BinaryMessageDecoder<PendingEvent> decoder = PendingEvent.createDecoder(store);
        this.serializer = (topic, event) -> encode(event);
        this.deserializer = (topic, bytes) -> decode(decoder, knownText, topic, bytes);
    }

    /**
     * The released PendingEvent schemas as listed in {@link #RELEASED_INDEX}, oldest first, keyed by file name;
     * never null nor empty.
     *
     * @throws IllegalStateException if the index or a file it lists is missing or not a valid schema
     */
    public static Map<String, Schema> releasedSchemas() {
        Map<String, Schema> schemas = new LinkedHashMap<>();
        for (String file : releasedFiles()) {
            schemas.put(file, parseReleased(file));
        }
        if (schemas.isEmpty()) {
            throw new IllegalStateException(RELEASED_INDEX + " lists no schema");
        }
        return Collections.unmodifiableMap(schemas);
    }

    private static Schema parseReleased(String file) {
        InputStream resource = PendingEventSerde.class.getResourceAsStream(RELEASED_FOLDER + file);
        if (resource == null) {
            throw new IllegalStateException(RELEASED_INDEX + " lists " + file + ", which is not on the classpath");
        }
        try (InputStream in = resource) {
            // a parser per file: every released file defines the same names
            return new Schema.Parser().parse(in);
        } catch (IOException | AvroRuntimeException e) {
            throw new IllegalStateException("cannot read the released schema " + RELEASED_FOLDER + file + ": " + e, e);
        }
    }

    private static List<String> releasedFiles() {
        try (InputStream in = PendingEventSerde.class.getResourceAsStream(RELEASED_INDEX)) {
            if (in == null) {
                throw new IllegalStateException(RELEASED_INDEX + " is not on the classpath (enricher-schemas jar)");
            }
            List<String> files = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String name = line.strip();
                if (!name.isEmpty() && !name.startsWith("#")) {
                    files.add(name);
                }
            }
            return files;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RELEASED_INDEX + ": " + e, e);
        }
    }

    private static void checkReadable(Schema current, String file, Schema released) {
        if (!released.getFullName().equals(current.getFullName())) {
            throw new IllegalStateException("released schema " + file + " is " + released.getFullName() + ", expected "
                    + current.getFullName());
        }
        var compatibility = SchemaCompatibility.checkReaderWriterCompatibility(current, released);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new IllegalStateException("the current PendingEvent schema cannot read the released " + file + ": "
                    + compatibility.getDescription());
        }
    }

    private static byte[] encode(PendingEvent event) {
        if (event == null) {
            return null;
        }
        try {
            ByteBuffer buffer = event.toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new SerializationException("cannot write a pending event", e);
        }
    }

    private static PendingEvent decode(BinaryMessageDecoder<PendingEvent> decoder, String known, String topic,
                                       byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new SerializationException("cannot read a pending event from " + topic + ": its writer schema "
                    + "(fingerprint " + hex(fingerprint(bytes)) + ") is unknown to this release; it was written by a "
                    + "newer release (downgrades are not supported) or not by this service. Known: " + known, e);
        } catch (BadHeaderException e) {
            throw new SerializationException("cannot read a pending event from " + topic
                    + ": not Avro single-object encoding (" + e.getMessage() + ")", e);
        } catch (IOException | AvroRuntimeException e) {
            throw new SerializationException("cannot read a pending event from " + topic + ": " + e, e);
        }
    }

    /** The writer fingerprint of a single-object encoded value whose header was read (at least 10 bytes). */
    private static long fingerprint(byte[] bytes) {
        return ByteBuffer.wrap(bytes, 2, HEADER_LENGTH - 2).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static String hex(long fingerprint) {
        return String.format("0x%016x", fingerprint);
    }

    @Override
    public Serializer<PendingEvent> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<PendingEvent> deserializer() {
        return deserializer;
    }
}
