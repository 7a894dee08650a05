package dev.enricher.topology;

import dev.enricher.avro.EnrichedEvent;
import dev.enricher.serde.ConfluentAvro;
import java.util.List;
import java.util.Map;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backstop for records the broker refuses as too large although they were within {@code output.max.bytes}
 * (a topic's {@code max.message.bytes} lowered after the start-up check): an output, route or dead-letter record
 * is replaced by a compact dead letter ({@link DeadLetters#letter} with its original reason, else {@link
 * DeadLetterReason#TOO_LARGE}) and processing resumes. Source coordinates come from the refused record: a dead
 * letter's own headers, or the source fields of an EnrichedEvent in the built-in format; else they are unknown
 * ({@code -1}). Every other failure, and any failure of a changelog write or of a compact dead letter, fails as
 * Kafka Streams' default handler does.
 *
 * <p>Under exactly_once_v2 the producer's transaction is aborted by the refusal whatever this handler answers:
 * the stream thread fails and the service stops (exit code 1); at the next start the topic check names the topic
 * whose limit is below output.max.bytes. Under at_least_once the compact dead letter is written and nothing stops.
 *
 * <p>Created by Kafka Streams from its configuration ({@link #DLQ_TOPIC_CONFIG}); stateless and thread-safe.
 */
public final class TooLargeHandler implements ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TooLargeHandler.class);
    public static final String DLQ_TOPIC_CONFIG = "enricher.dlq.topic";

    private String dlqTopic;

    @Override
    public void configure(Map<String, ?> configs) {
        dlqTopic = String.valueOf(configs.get(DLQ_TOPIC_CONFIG));
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        boolean compactLetter = record.headers().lastHeader(DeadLetters.TRUNCATED_HEADER) != null;
        if (!(exception instanceof RecordTooLargeException) || record.topic().endsWith("-changelog") || compactLetter) {
            LOG.error("cannot write a record to {}: {}", record.topic(), exception.toString());
            return Response.fail();
        }
        String reasonId = DeadLetters.header(record.headers(), DeadLetters.REASON_HEADER);
        DeadLetterReason reason = reasonId == null ? DeadLetterReason.TOO_LARGE
                : DeadLetterReason.valueOf(reasonId.toUpperCase(java.util.Locale.ROOT));
        DeadLetters.Source source = sourceOf(record);
        String message = "record of " + (record.value() == null ? 0 : record.value().length) + " value bytes for topic "
                + record.topic() + " refused: " + exception.getMessage();
        DeadLetters.Letter letter = DeadLetters.letter(record.key(), record.value(), record.headers(), reason, message,
                source, 0);
        LOG.warn("{} (from {}-{}@{}): sending a compact dead letter to {}", message, source.topic(), source.partition(),
                source.offset(), dlqTopic);
        return Response.resume(List.of(new ProducerRecord<>(dlqTopic, null, record.timestamp(), letter.key(),
                letter.value(), letter.headers())));
    }

    private static DeadLetters.Source sourceOf(ProducerRecord<byte[], byte[]> record) {
        String topic = DeadLetters.header(record.headers(), DeadLetters.TOPIC_HEADER);
        if (topic != null) {
            return new DeadLetters.Source(topic,
                    Integer.parseInt(DeadLetters.header(record.headers(), DeadLetters.PARTITION_HEADER)),
                    Long.parseLong(DeadLetters.header(record.headers(), DeadLetters.OFFSET_HEADER)));
        }
        byte[] value = record.value();
        if (value != null && value.length > ConfluentAvro.HEADER_BYTES && value[0] == ConfluentAvro.MAGIC_BYTE) {
            try {
                EnrichedEvent event = new SpecificDatumReader<EnrichedEvent>(EnrichedEvent.getClassSchema()).read(null,
                        DecoderFactory.get().binaryDecoder(value, ConfluentAvro.HEADER_BYTES,
                                value.length - ConfluentAvro.HEADER_BYTES, null));
                return new DeadLetters.Source(event.getSourceTopic(), event.getSourcePartition(), event.getSourceOffset());
            } catch (java.io.IOException | RuntimeException e) {
                LOG.debug("a refused record is not an EnrichedEvent of this release: {}", e.toString());
            }
        }
        return new DeadLetters.Source("unknown", -1, -1);
    }
}
