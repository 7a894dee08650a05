package dev.enricher.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.avro.PendingEvent;
import dev.enricher.avro.PendingHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * The pending store's values survive upgrades: values release 1 wrote decode to the current PendingEvent; current
 * values round-trip; a value of an unknown writer schema fails clearly. Written against the fields release 1 and
 * the current schema share, so it holds whatever fields the current PendingEvent adds or drops.
 */
class PendingEventSerdeTest {
    static final String TOPIC = "app-pending-events-changelog";
    static final byte[] KEY = "key-7".getBytes(StandardCharsets.UTF_8);
    static final byte[] VALUE = "{\"id\":\"e-7\",\"text\":\"Zoë ate 寿司 🍣\"}".getBytes(StandardCharsets.UTF_8);

    private final PendingEventSerde serde = new PendingEventSerde();

    static GenericRecord releaseOneEvent() {
        return ReleaseOneEvents.event("e-7", "Zoë ate 寿司 🍣", "events", 2, 41L, 1_700_000_000_000L, KEY, VALUE,
                List.of(ReleaseOneEvents.header("trace", "t-1".getBytes(StandardCharsets.UTF_8)),
                        ReleaseOneEvents.header("empty", null)),
                1_700_000_000_500L);
    }

    @Test
    void theReleasedSetHoldsTheReleaseOneSchemaUnchanged() {
        Schema released = PendingEventSerde.releasedSchemas().get("PendingEvent-v1.avsc");
        assertEquals(ReleaseOneEvents.V1, released, "released/PendingEvent-v1.avsc equals the release-1 fixture");
    }

    @Test
    void releaseOneBytesDecodeToTheCurrentEvent() {
        GenericRecord v1 = releaseOneEvent();
        PendingEvent decoded = serde.deserializer().deserialize(TOPIC, ReleaseOneEvents.encode(v1));

        // the fields every shape of PendingEvent keeps
        assertEquals("events", decoded.getSourceTopic());
        assertEquals(2, decoded.getSourcePartition());
        assertEquals(41L, decoded.getSourceOffset());
        assertEquals(1_700_000_000_000L, decoded.getRecordTime());
        assertEquals(1_700_000_000_500L, decoded.getArrivalMillis());
        assertArrayEquals(KEY, bytes(decoded.getKey()));
        assertArrayEquals(VALUE, bytes(decoded.getValue()));
        List<PendingHeader> headers = decoded.getHeaders();
        assertEquals(2, headers.size());
        assertEquals("trace", headers.get(0).getKey());
        assertArrayEquals("t-1".getBytes(StandardCharsets.UTF_8), bytes(headers.get(0).getValue()));
        assertEquals("empty", headers.get(1).getKey());
        assertNull(headers.get(1).getValue());

        // every current field: the release-1 value if release 1 had the field, else the field's default
        Schema current = PendingEvent.getClassSchema();
        int fromWriter = 0;
        for (Schema.Field field : current.getFields()) {
            Object expected = ReleaseOneEvents.V1.getField(field.name()) != null
                    ? v1.get(field.name()) : GenericData.get().getDefaultValue(field);
            if (ReleaseOneEvents.V1.getField(field.name()) != null) {
                fromWriter++;
            }
            assertEquals(GenericData.get().toString(expected), GenericData.get().toString(decoded.get(field.name())),
                    field.name());
        }
        assertTrue(fromWriter >= 8, "the shared fields are compared, found " + fromWriter);
    }

    @Test
    void currentEventsRoundTripWithTheCurrentFingerprint() {
        PendingEvent event = serde.deserializer().deserialize(TOPIC, ReleaseOneEvents.encode(releaseOneEvent()));
        byte[] bytes = serde.serializer().serialize(TOPIC, event);

        assertEquals((byte) 0xC3, bytes[0]);
        assertEquals((byte) 0x01, bytes[1]);
        assertEquals(SchemaNormalization.parsingFingerprint64(PendingEvent.getClassSchema()),
                ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(event, serde.deserializer().deserialize(TOPIC, bytes));
    }

    @Test
    void nullsStayNull() {
        assertNull(serde.serializer().serialize(TOPIC, null));
        assertNull(serde.deserializer().deserialize(TOPIC, null));
    }

    @Test
    void aValueOfAnUnknownWriterSchemaFailsNamingItsFingerprint() throws Exception {
        Schema newer = new Schema.Parser().parse("""
                {"type": "record", "name": "PendingEvent", "namespace": "dev.enricher.avro", "fields": [
                  {"name": "source_topic", "type": "string"},
                  {"name": "tenant", "type": "string"}]}""");
        GenericRecord record = new GenericRecordBuilder(newer).set("source_topic", "events").set("tenant", "t").build();
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newer).encode(record);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);

        SerializationException e = assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize(TOPIC, bytes));
        String message = e.getMessage();
        assertTrue(message.contains("fingerprint " + ReleaseOneEvents.fingerprint(newer)), message);
        assertTrue(message.contains("newer release"), message);
        assertTrue(message.contains(ReleaseOneEvents.fingerprint(ReleaseOneEvents.V1) + " (PendingEvent-v1.avsc"), message);
        assertTrue(message.contains(ReleaseOneEvents.fingerprint(PendingEvent.getClassSchema())), message);
        assertTrue(message.contains(TOPIC), message);
        System.out.println("unknown writer schema: " + message);
    }

    @Test
    void bytesThatAreNotSingleObjectEncodedFailClearly() {
        byte[] json = "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        SerializationException e = assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize(TOPIC, json));
        assertTrue(e.getMessage().contains("not Avro single-object encoding"), e.getMessage());
    }

    @Test
    void oneSerdeDecodesBothWritersOnManyThreads() throws Exception {
        byte[] releaseOne = ReleaseOneEvents.encode(releaseOneEvent());
        PendingEvent expected = serde.deserializer().deserialize(TOPIC, releaseOne);
        byte[] current = serde.serializer().serialize(TOPIC, expected);
        int threads = 4;
        int perThread = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<PendingEvent>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    List<PendingEvent> out = new ArrayList<>(perThread);
                    for (int i = 0; i < perThread; i++) {
                        out.add(serde.deserializer().deserialize(TOPIC, i % 2 == 0 ? releaseOne : current));
                    }
                    return out;
                }));
            }
            List<PendingEvent> all = new ArrayList<>();
            for (Future<List<PendingEvent>> f : futures) {
                all.addAll(f.get());
            }
            assertEquals(threads * perThread, all.size());
            for (PendingEvent event : all) {
                assertEquals(expected, event);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
