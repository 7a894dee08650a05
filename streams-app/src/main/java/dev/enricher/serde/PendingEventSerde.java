package dev.enricher.serde;

import dev.enricher.avro.PendingEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The pending store's values: Avro single-object encoding (schema fingerprint + binary), so a changelog written
 * by one version of the service is read by the next. Thread-safe.
 */
public final class PendingEventSerde implements Serde<PendingEvent> {

    @Override
    public Serializer<PendingEvent> serializer() {
        return (topic, event) -> {
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
        };
    }

    @Override
    public Deserializer<PendingEvent> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return PendingEvent.fromByteBuffer(ByteBuffer.wrap(bytes));
            } catch (IOException e) {
                throw new SerializationException("cannot read a pending event from " + topic, e);
            }
        };
    }
}
