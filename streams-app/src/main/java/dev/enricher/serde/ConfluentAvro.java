package dev.enricher.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro in the Confluent wire format: byte 0, the schema id (4 bytes, big-endian), then Avro binary. Value
 * schemas are registered (or looked up) under the subject a {@link Registration} names, by default {@code
 * <topic>-value} (TopicNameStrategy) with auto-registration. Serializers and deserializers are thread-safe; the
 * registry is shared and not closed by them.
 */
public final class ConfluentAvro {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_BYTES = 5;

    private ConfluentAvro() {}

    public static <T extends SpecificRecord> Serde<T> serde(SchemaRegistry registry, Schema schema) {
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(new AvroSerializer<>(registry, schema),
                new AvroDeserializer<>(registry, schema));
    }

    /**
     * How a serializer finds the id it writes: the subject's name, and whether it registers its schema there
     * (Confluent's {@code auto.register.schemas}) or uses a version already registered ({@code use.latest.version}).
     *
     * @param version with {@code autoRegister} false: {@code latest} or a version number of the subject
     */
    public record Registration(SubjectNameStrategy strategy, boolean autoRegister, String version) {
        /** {@code <topic>-value}, registered by the serializer. */
        public static final Registration AUTO = new Registration(SubjectNameStrategy.TOPIC, true, "latest");
    }

    /**
     * Writes records of one schema; the id is registered or looked up once per topic (subject).
     *
     * <p>Without auto-registration the subject's registered version is used if the serializer can write it: if it
     * equals the serializer's schema in Avro's Parsing Canonical Form (docs, defaults and aliases aside; the bytes
     * are the same) records are written as they are; if it differs but can read what the serializer's schema writes
     * (Avro's reader/writer resolution with the registered schema as reader, e.g. a newer version with more fields
     * that have defaults), each record is resolved into the registered schema and written with it, so that the
     * bytes always match the id. Any other registered schema fails {@link #idFor} with {@link
     * RegistryException.Incompatible}.
     */
    public static final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
        private final SchemaRegistry registry;
        private final Schema schema;
        private final Registration registration;
        private final SpecificDatumWriter<T> writer;
        private final Map<String, Target> targetsByTopic = new ConcurrentHashMap<>();

        public AvroSerializer(SchemaRegistry registry, Schema schema) {
            this(registry, schema, Registration.AUTO);
        }

        public AvroSerializer(SchemaRegistry registry, Schema schema, Registration registration) {
            this.registry = registry;
            this.schema = schema;
            this.registration = registration;
            this.writer = new SpecificDatumWriter<>(schema);
        }

        /** The id written, and the registered schema records are resolved into (null: written as they are). */
        private record Target(int id, Schema resolveInto) {}

        /**
         * Registers the schema for a topic, or looks up the registered version it writes, now (start-up check);
         * returns the id.
         *
         * @throws RegistryException.NotFound without auto-registration, when the subject or version does not exist
         * @throws RegistryException.Incompatible without auto-registration, when the registered schema cannot be
         *     written from this serializer's
         */
        public int idFor(String topic) {
            return target(topic).id();
        }

        /** The subject this serializer uses for {@code topic}. */
        public String subject(String topic) {
            return registration.strategy().valueSubject(topic, schema);
        }

        private Target target(String topic) {
            return targetsByTopic.computeIfAbsent(topic, t -> {
                String subject = subject(t);
                if (registration.autoRegister()) {
                    return new Target(registry.register(subject, schema), null);
                }
                return registered(subject);
            });
        }

        private Target registered(String subject) {
            String advice = "with schema.registry.auto.register=false the service registers nothing: register "
                    + schema.getFullName() + " under subject " + subject + " first, or set "
                    + "schema.registry.auto.register=true";
            SchemaRegistry.Registered found;
            try {
                found = registry.version(subject, registration.version());
            } catch (RegistryException.NotFound e) {
                throw new RegistryException.NotFound("no version " + registration.version() + " of subject " + subject
                        + " (schema.registry.subject.version=" + registration.version() + ") to write with; " + advice
                        + ". " + e.getMessage());
            }
            if (SchemaNormalization.toParsingForm(found.schema()).equals(SchemaNormalization.toParsingForm(schema))) {
                return new Target(found.id(), null);
            }
            SchemaCompatibility.SchemaPairCompatibility check =
                    SchemaCompatibility.checkReaderWriterCompatibility(found.schema(), schema);
            if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new RegistryException.Incompatible("the schema registered as version " + found.version()
                        + " (id " + found.id() + ") of subject " + subject + " cannot read what the service writes, "
                        + "so the service cannot write records with its id (schema.registry.auto.register=false, "
                        + "schema.registry.subject.version=" + registration.version() + "): "
                        + check.getResult().getIncompatibilities().stream()
                                .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")").toList());
            }
            return new Target(found.id(), found.schema());
        }

        @Override
        public byte[] serialize(String topic, T data) {
            if (data == null) {
                return null;
            }
            Target target = target(topic);
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(MAGIC_BYTE);
            out.writeBytes(ByteBuffer.allocate(4).putInt(target.id()).array());
            try {
                BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
                if (target.resolveInto() == null) {
                    writer.write(data, encoder);
                } else {
                    new GenericDatumWriter<Object>(target.resolveInto()).write(resolved(data, target.resolveInto()),
                            encoder);
                }
                encoder.flush();
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot write " + schema.getFullName() + " for topic " + topic, e);
            }
            return out.toByteArray();
        }

        /** {@code data} read into {@code registered} as a consumer holding it would read this serializer's bytes. */
        private Object resolved(T data, Schema registered) throws IOException {
            ByteArrayOutputStream local = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(local, null);
            writer.write(data, encoder);
            encoder.flush();
            return new GenericDatumReader<Object>(schema, registered).read(null,
                    DecoderFactory.get().binaryDecoder(local.toByteArray(), null));
        }
    }

    /** Reads records written with any registered version of a schema into the reader's schema. */
    public static final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
        private final SchemaRegistry registry;
        private final Schema readerSchema;
        private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();

        public AvroDeserializer(SchemaRegistry registry, Schema readerSchema) {
            this.registry = registry;
            this.readerSchema = readerSchema;
        }

        @Override
        public T deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            if (data.length < HEADER_BYTES || data[0] != MAGIC_BYTE) {
                throw new SerializationException("not the Confluent Avro wire format (magic byte 0 and a 4-byte schema "
                        + "id expected) on topic " + topic);
            }
            int id = ByteBuffer.wrap(data, 1, 4).getInt();
            SpecificDatumReader<T> reader = readers.computeIfAbsent(id,
                    i -> new SpecificDatumReader<>(registry.byId(i), readerSchema));
            try {
                return reader.read(null, DecoderFactory.get().binaryDecoder(data, HEADER_BYTES,
                        data.length - HEADER_BYTES, null));
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot read " + readerSchema.getFullName() + " (schema id " + id
                        + ") from topic " + topic + ": " + e.getMessage(), e);
            }
        }
    }
}
