package dev.enricher.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Headers of dead-letter records. The source and message headers use the names of Kafka Streams' own
 * dead-letter records (KIP-1034), so one consumer reads both kinds; values are UTF-8 strings.
 */
public final class DeadLetters {
    public static final String REASON_HEADER = "enricher.dlq.reason";
    public static final String EXCEPTION_HEADER = "__streams.errors.exception";
    public static final String MESSAGE_HEADER = "__streams.errors.message";
    public static final String TOPIC_HEADER = "__streams.errors.topic";
    public static final String PARTITION_HEADER = "__streams.errors.partition";
    public static final String OFFSET_HEADER = "__streams.errors.offset";

    private DeadLetters() {}

    /** The original headers plus the reason, message and source of the failure. */
    public static Headers headers(Headers original, DeadLetterReason reason, String message, String topic,
                                  int partition, long offset) {
        Headers headers = new RecordHeaders(original == null ? new RecordHeaders().toArray() : original.toArray());
        put(headers, REASON_HEADER, reason.id());
        put(headers, EXCEPTION_HEADER, "dev.enricher." + reason.id());
        put(headers, MESSAGE_HEADER, message);
        put(headers, TOPIC_HEADER, topic);
        put(headers, PARTITION_HEADER, Integer.toString(partition));
        put(headers, OFFSET_HEADER, Long.toString(offset));
        return headers;
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
