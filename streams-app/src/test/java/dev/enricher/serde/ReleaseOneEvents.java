package dev.enricher.serde;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * Pending-store values as release 1 wrote them: records of the release-1 PendingEvent schema (the test fixture
 * {@code upgrade/PendingEvent-v1.avsc}, a copy kept apart from the service's released set) in single-object
 * encoding. Independent of the current PendingEvent class.
 */
public final class ReleaseOneEvents {
    /** The release-1 PendingEvent schema; never null. */
    public static final Schema V1 = load("/upgrade/PendingEvent-v1.avsc");
    private static final BinaryMessageEncoder<GenericRecord> ENCODER = new BinaryMessageEncoder<>(GenericData.get(), V1);

    private ReleaseOneEvents() {}

    /**
     * A release-1 event as its EnrichProcessor built it from an input record: id and text decoded from the input
     * JSON {@code value}, no event time or metadata, the input's key, value and headers.
     */
    public static GenericRecord event(String id, String text, String topic, int partition, long offset, long recordTime,
                                      byte[] key, byte[] value, List<GenericRecord> headers, long arrivalMillis) {
        return new GenericRecordBuilder(V1)
                .set("id", id)
                .set("text", text)
                .set("source_topic", topic)
                .set("source_partition", partition)
                .set("source_offset", offset)
                .set("record_time", recordTime)
                .set("key", key == null ? null : ByteBuffer.wrap(key))
                .set("value", value == null ? null : ByteBuffer.wrap(value))
                .set("headers", headers)
                .set("arrival_millis", arrivalMillis)
                .build();
    }

    /** A release-1 PendingHeader record. */
    public static GenericRecord header(String key, byte[] value) {
        Schema schema = V1.getField("headers").schema().getElementType();
        return new GenericRecordBuilder(schema).set("key", key).set("value", value == null ? null : ByteBuffer.wrap(value))
                .build();
    }

    /** The record in single-object encoding with the release-1 schema's fingerprint. */
    public static byte[] encode(GenericRecord v1Event) {
        try {
            ByteBuffer buffer = ENCODER.encode(v1Event);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The parsing fingerprint of {@code schema} as 0x-prefixed hex, as PendingEventSerde reports it. */
    public static String fingerprint(Schema schema) {
        return String.format("0x%016x", SchemaNormalization.parsingFingerprint64(schema));
    }

    private static Schema load(String resource) {
        try (InputStream in = ReleaseOneEvents.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
