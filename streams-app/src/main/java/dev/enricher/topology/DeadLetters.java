package dev.enricher.topology;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records. The source and message headers use the names of Kafka Streams' own dead-letter records
 * (KIP-1034), so one consumer reads both kinds; header values are UTF-8 strings.
 */
public final class DeadLetters {
    public static final String REASON_HEADER = "enricher.dlq.reason";
    /** On compact dead letters only: the original sizes, {@code key=K value=V headers=H} (bytes). */
    public static final String TRUNCATED_HEADER = "enricher.dlq.truncated";
    public static final String EXCEPTION_HEADER = "__streams.errors.exception";
    public static final String MESSAGE_HEADER = "__streams.errors.message";
    public static final String TOPIC_HEADER = "__streams.errors.topic";
    public static final String PARTITION_HEADER = "__streams.errors.partition";
    public static final String OFFSET_HEADER = "__streams.errors.offset";
    /** Bytes of the key and of the value a compact dead letter keeps. */
    public static final int COMPACT_PREFIX_BYTES = 1024;
    /** Characters of the message kept: at most 3,000 bytes in UTF-8, so a compact dead letter stays under 8 KiB. */
    private static final int MESSAGE_CHARS = 1000;

    private DeadLetters() {}

    /** Where the failed record was read: its topic, partition and offset. */
    public record Source(String topic, int partition, long offset) {}

    /** A dead letter's key, value and headers. */
    public record Letter(byte[] key, byte[] value, Headers headers) {}

    /**
     * The original key, value and headers plus the reason, message and source; when that record would be over
     * {@code maxBytes} (see {@link RecordSizes}), a compact one instead: key and value cut to their first {@value
     * #COMPACT_PREFIX_BYTES} bytes, the original headers dropped, their sizes in {@value #TRUNCATED_HEADER}.
     */
    public static Letter letter(byte[] key, byte[] value, Headers original, DeadLetterReason reason, String message,
                                Source source, long maxBytes) {
        Headers headers = headers(original, reason, message, source);
        if (RecordSizes.upperBound(key, value, headers) <= maxBytes) {
            return new Letter(key, value, headers);
        }
        Headers compact = headers(new RecordHeaders(), reason, message, source);
        put(compact, TRUNCATED_HEADER, "key=" + length(key) + " value=" + length(value) + " headers="
                + RecordSizes.headerBytes(original));
        return new Letter(prefix(key), prefix(value), compact);
    }

    /** The original headers plus the reason, message and source of the failure. */
    private static Headers headers(Headers original, DeadLetterReason reason, String message, Source source) {
        Headers headers = new RecordHeaders(original == null ? new Header[0] : original.toArray());
        put(headers, REASON_HEADER, reason.id());
        put(headers, EXCEPTION_HEADER, "dev.enricher." + reason.id());
        put(headers, MESSAGE_HEADER, message.length() > MESSAGE_CHARS ? message.substring(0, MESSAGE_CHARS) + "..." : message);
        put(headers, TOPIC_HEADER, source.topic());
        put(headers, PARTITION_HEADER, Integer.toString(source.partition()));
        put(headers, OFFSET_HEADER, Long.toString(source.offset()));
        return headers;
    }

    private static byte[] prefix(byte[] bytes) {
        return bytes == null || bytes.length <= COMPACT_PREFIX_BYTES ? bytes : Arrays.copyOf(bytes, COMPACT_PREFIX_BYTES);
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A header's value as text, or null when absent. */
    public static String header(Headers headers, String key) {
        var h = headers.lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
