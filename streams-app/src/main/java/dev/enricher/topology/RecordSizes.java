package dev.enricher.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Upper bounds of the bytes a record takes in a Kafka record batch of its own, as the producer's {@code
 * max.request.size} counts them (batch header, record framing, key, value, headers). The broker checks the batch
 * after compression, which can add a little to incompressible data: the caller keeps a margin for that.
 */
public final class RecordSizes {
    /**
     * Record batch header (61 bytes) plus the largest framing of one record (attributes, timestamp and offset
     * deltas, the varint lengths of the record, key, value and header count: 36 bytes), rounded up.
     */
    static final int RECORD_OVERHEAD = 128;
    /** Varint lengths of one header's key and value, rounded up to cover the pending store's Avro framing too. */
    static final int HEADER_OVERHEAD = 16;

    private RecordSizes() {}

    public static long upperBound(byte[] key, byte[] value, Headers headers) {
        return RECORD_OVERHEAD + (key == null ? 0 : key.length) + (value == null ? 0 : value.length)
                + headerBytes(headers);
    }

    /** Bytes of the headers in a record: keys in UTF-8, values, their framing. */
    public static long headerBytes(Headers headers) {
        long total = 0;
        if (headers != null) {
            for (Header h : headers) {
                total += HEADER_OVERHEAD + h.key().getBytes(StandardCharsets.UTF_8).length
                        + (h.value() == null ? 0 : h.value().length);
            }
        }
        return total;
    }
}
