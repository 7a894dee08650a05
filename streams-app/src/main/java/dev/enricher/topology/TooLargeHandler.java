package dev.enricher.topology;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production exception handler. {@link EnrichProcessor} never writes a record over {@code output.max.bytes},
 * which the start-up check holds at or below every written topic's {@code max.message.bytes}; so a record the
 * broker still refuses as too large means a topic's limit was lowered after the start. That is the operator's to
 * fix, and the handler fails with a message saying so: the record is not committed (nothing is lost), the service
 * stops with exit code 1, and the next start names the topic in its check. Every other failure fails as Kafka
 * Streams' default handler does.
 *
 * <p>It does not answer with a dead letter: a refusal arrives on the producer's network thread, where sending a
 * record to a topic without cached metadata blocks that thread for {@code max.block.ms} (measured: 60 s, then a
 * metadata timeout), and under exactly_once_v2 the refusal has already aborted the transaction.
 *
 * <p>Created by Kafka Streams from its configuration; stateless and thread-safe.
 */
public final class TooLargeHandler implements ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TooLargeHandler.class);

    @Override
    public void configure(java.util.Map<String, ?> configs) {
        // nothing to configure
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof RecordTooLargeException) {
            LOG.error("topic {} refused a record of {} value bytes as too large: its max.message.bytes is now below "
                    + "output.max.bytes (changed after the start-up check?). Stopping without committing it; nothing "
                    + "is lost. Raise the topic's max.message.bytes or lower output.max.bytes, then restart.",
                    record.topic(), record.value() == null ? 0 : record.value().length);
        }
        return Response.fail();
    }
}
