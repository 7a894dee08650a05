package dev.enricher.topology;

import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.PendingEvent;
import dev.enricher.avro.PendingHeader;
import dev.enricher.config.EnricherConfig.Route;
import dev.enricher.engine.EnrichmentEngine;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes input records, keeps decoded events in the changelogged pending store, and enriches them in batches.
 *
 * <p>Loss-free by construction: an event is written to the pending store in the same {@code process} call that
 * consumes its record, and deleted only after its result has been forwarded. Kafka Streams commits the store's
 * changelog before the input offset (and under exactly_once_v2, the store, the outputs and the offsets in one
 * transaction), so an event whose offset is committed is either enriched or restored into the store after a
 * crash or a rebalance, then enriched. Batches close on {@code maxRecords} events, on {@code maxTokens} estimated
 * padded tokens (events x longest; about 4 characters a token, as WordPiece on English text; the model runs are
 * then cut to the exact budget), or when the oldest has waited {@code maxDelay} (wall-clock punctuation). Results
 * are forwarded in input order, so per-key order holds.
 *
 * <p>One instance per task, called by one stream thread; the engine is shared.
 */
final class EnrichProcessor implements Processor<byte[], byte[], byte[], Object> {
    private static final Logger LOG = LoggerFactory.getLogger(EnrichProcessor.class);
    private final EnrichmentEngine engine;
    private final InputDecoder decoder;
    private final List<Route> routes;
    private final int maxRecords;
    private final long maxTokens;
    private final long maxDelayMs;
    private final LongSupplier wallClock;
    private final ProcessingMetrics metrics;

    private ProcessorContext<byte[], Object> context;
    private KeyValueStore<Long, PendingEvent> pending;
    private long nextSequence;
    private int pendingCount;
    private long oldestArrival;
    private long longestEstimate;

    EnrichProcessor(EnrichmentEngine engine, InputDecoder decoder, List<Route> routes, int maxRecords, long maxTokens,
                    long maxDelayMs, LongSupplier wallClock, ProcessingMetrics metrics) {
        this.maxTokens = maxTokens;
        this.metrics = metrics;
        this.engine = engine;
        this.decoder = decoder;
        this.routes = routes;
        this.maxRecords = maxRecords;
        this.maxDelayMs = maxDelayMs;
        this.wallClock = wallClock;
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        this.pending = context.getStateStore(EnricherTopology.PENDING_STORE);
        nextSequence = 0;
        pendingCount = 0;
        oldestArrival = Long.MAX_VALUE;
        longestEstimate = 0;
        try (KeyValueIterator<Long, PendingEvent> it = pending.all()) {
            while (it.hasNext()) {
                KeyValue<Long, PendingEvent> kv = it.next();
                nextSequence = Math.max(nextSequence, kv.key + 1);
                pendingCount++;
                oldestArrival = Math.min(oldestArrival, kv.value.getArrivalMillis());
                longestEstimate = Math.max(longestEstimate, estimatedTokens(kv.value.getText()));
            }
        }
        if (pendingCount > 0) {
            LOG.info("task {}: {} pending events restored, enriching them first", context.taskId(), pendingCount);
        }
        long tick = Math.max(1, Math.min(50, maxDelayMs / 4));
        context.schedule(Duration.ofMillis(tick), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        metrics.eventIn();
        Object decoded = decoder.decode(record.value());
        if (decoded instanceof InputDecoder.Rejected rejected) {
            deadLetter(record.key(), record.value(), record.timestamp(), record.headers(), rejected.reason(),
                    rejected.message(), source.topic(), source.partition(), source.offset());
            return;
        }
        InputDecoder.Decoded event = (InputDecoder.Decoded) decoded;
        long now = wallClock.getAsLong();
        String id = event.id() != null ? event.id() : source.topic() + "-" + source.partition() + "-" + source.offset();
        PendingEvent p = PendingEvent.newBuilder()
                .setId(id)
                .setText(event.text())
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setRecordTime(record.timestamp())
                .setEventTime(event.eventTime())
                .setMetadata(event.metadata())
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setValue(ByteBuffer.wrap(record.value()))
                .setHeaders(headersOf(record.headers()))
                .setArrivalMillis(now)
                .build();
        pending.put(nextSequence++, p);
        pendingCount++;
        oldestArrival = Math.min(oldestArrival, now);
        longestEstimate = Math.max(longestEstimate, estimatedTokens(event.text()));
        if (pendingCount >= maxRecords || pendingCount * longestEstimate >= maxTokens) {
            flush();
        }
    }

    /** Tokens a text is likely to take, special tokens included; an estimate that needs no tokenizer. */
    static long estimatedTokens(String text) {
        return 2 + (text.length() + 3) / 4;
    }

    private void punctuate(long now) {
        if (pendingCount > 0 && now - oldestArrival >= maxDelayMs) {
            flush();
        }
    }

    /** Enriches every pending event, in batches of at most {@code maxRecords}, in sequence order. */
    private void flush() {
        while (pendingCount > 0) {
            List<KeyValue<Long, PendingEvent>> batch = new ArrayList<>(Math.min(pendingCount, maxRecords));
            try (KeyValueIterator<Long, PendingEvent> it = pending.all()) {
                while (it.hasNext() && batch.size() < maxRecords) {
                    batch.add(it.next());
                }
            }
            if (batch.isEmpty()) {
                pendingCount = 0;
                break;
            }
            List<EnrichmentEngine.Outcome> outcomes = engine.enrich(batch.stream().map(kv -> kv.value).toList());
            metrics.batch(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                forward(batch.get(i).value, outcomes.get(i));
                pending.delete(batch.get(i).key);
            }
            pendingCount -= batch.size();
        }
        pendingCount = 0;
        oldestArrival = Long.MAX_VALUE;
        longestEstimate = 0;
    }

    private void forward(PendingEvent p, EnrichmentEngine.Outcome outcome) {
        byte[] key = p.getKey() == null ? null : bytes(p.getKey());
        Headers headers = headersFrom(p.getHeaders());
        if (outcome.failure() != null) {
            deadLetter(key, p.getValue() == null ? null : bytes(p.getValue()), p.getRecordTime(), headers,
                    DeadLetterReason.INFERENCE, outcome.failure(), p.getSourceTopic(), p.getSourcePartition(),
                    p.getSourceOffset());
            return;
        }
        EnrichedEvent event = outcome.event();
        metrics.eventOut(event.getProcessingTime().toEpochMilli() - p.getRecordTime(), event.getTimings().getBatchWaitMs());
        context.forward(new Record<byte[], Object>(key, event, p.getRecordTime(), headers), EnricherTopology.OUTPUT_SINK);
        Set<String> routed = new LinkedHashSet<>();
        if (event.getClassification() != null) {
            for (Route route : routes) {
                for (var score : event.getClassification().getScores()) {
                    if (score.getLabel().equals(route.label()) && score.getScore() >= route.threshold()) {
                        routed.add(route.topic());
                    }
                }
            }
        }
        for (String topic : routed) {
            context.forward(new Record<byte[], Object>(key, event, p.getRecordTime(), headersFrom(p.getHeaders())),
                    EnricherTopology.routeSink(topic));
        }
    }

    private void deadLetter(byte[] key, byte[] value, long timestamp, Headers original, DeadLetterReason reason,
                            String message, String topic, int partition, long offset) {
        metrics.deadLetter(reason);
        Headers headers = DeadLetters.headers(original, reason, message, topic, partition, offset);
        context.forward(new Record<byte[], Object>(key, value, timestamp, headers), EnricherTopology.DLQ_SINK);
    }

    private static List<PendingHeader> headersOf(Headers headers) {
        List<PendingHeader> out = new ArrayList<>();
        for (Header h : headers) {
            out.add(new PendingHeader(h.key(), h.value() == null ? null : ByteBuffer.wrap(h.value())));
        }
        return out;
    }

    private static Headers headersFrom(List<PendingHeader> headers) {
        RecordHeaders out = new RecordHeaders();
        for (PendingHeader h : headers) {
            out.add(h.getKey(), h.getValue() == null ? null : bytes(h.getValue()));
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
