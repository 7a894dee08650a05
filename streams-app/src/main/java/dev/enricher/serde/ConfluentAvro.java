package dev.enricher.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
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
 * Avro in the Confluent wire format: byte 0, the schema id (4 bytes, big-endian), then Avro binary. Schemas
 * are registered under {@code <topic>-value} (TopicNameStrategy). Serializers and deserializers are
 * thread-safe; the registry is shared and not closed by them.
 */
public final class ConfluentAvro {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_BYTES = 5;

    private ConfluentAvro() {}

    public static <T extends SpecificRecord> Serde<T> serde(SchemaRegistry registry, Schema schema) {
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(new AvroSerializer<>(registry, schema),
                new AvroDeserializer<>(registry, schema));
    }

    /** Writes records of one schema; the id is looked up once per topic. */
    public static final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
        private final SchemaRegistry registry;
        private final Schema schema;
        private final SpecificDatumWriter<T> writer;
        private final Map<String, Integer> idsByTopic = new ConcurrentHashMap<>();

        public AvroSerializer(SchemaRegistry registry, Schema schema) {
            this.registry = registry;
            this.schema = schema;
            this.writer = new SpecificDatumWriter<>(schema);
        }

        /** Registers the schema for a topic now (start-up check); returns its id. */
        public int idFor(String topic) {
            return idsByTopic.computeIfAbsent(topic, t -> registry.register(t + "-value", schema));
        }

        @Override
        public byte[] serialize(String topic, T data) {
            if (data == null) {
                return null;
            }
            int id = idFor(topic);
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(MAGIC_BYTE);
            out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
            try {
                BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
                writer.write(data, encoder);
                encoder.flush();
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot write " + schema.getFullName() + " for topic " + topic, e);
            }
            return out.toByteArray();
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
