package dev.enricher.topology;

import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.PendingEvent;
import dev.enricher.avro.PendingHeader;
import dev.enricher.config.EnricherConfig.Route;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.RegistryException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
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
 * Keeps input records in the changelogged pending store, and decodes and enriches them in batches.
 *
 * <p>Loss-free by construction: a record is written to the pending store in the same {@code process} call that
 * consumes it, and deleted only after its result (or its dead letter) has been written. Kafka Streams commits
 * the store's changelog before the input offset, so a record whose offset is committed is either done or restored
 * into the store after a crash or a rebalance, then done. Under exactly_once_v2 the deletes, the outputs and the
 * offsets commit in one transaction, so events are deleted as they are forwarded. Under at_least_once a delete
 * could land while its output is refused or lost in a crash, so forwarded events are deleted only after a commit
 * has completed ({@link CommitCountingStore}: the producer was flushed, the outputs are acknowledged); a crash
 * before that repeats them. The store holds one copy of each record (its value); the text is decoded from
 * it when its batch runs, so bad input is dead-lettered in input order with the rest.
 *
 * <p>Batches close on {@link BatchRules#maxRecords()} records, on an estimated padded-token budget (records x
 * longest; about 4 bytes a token), or when the oldest has waited {@link BatchRules#maxDelayMs()} (wall-clock
 * punctuation). All times come from the processor context's wall clock. Results are forwarded in input order, so
 * per-key order holds.
 *
 * <p>Nothing written is over {@link BatchRules#maxRecordBytes()}: an input record too large for the store's changelog, an
 * enriched event too large for its topic and an oversized dead letter all become compact dead letters ({@link
 * DeadLetterReason#TOO_LARGE}).
 *
 * <p>A transient fault (the models fail on every input, the schema registry cannot be reached) leaves the batch
 * in the store, marks the task in {@link Stalls} and retries with backoff; while stalled with a full batch,
 * {@code process} waits up to {@link #MAX_INTAKE_WAIT_MS} on each record, so intake slows (the store still grows,
 * at that pace).
 *
 * <p>One instance per task, called by one stream thread; the engine, the decoder and the stalls are shared.
 */
final class EnrichProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(EnrichProcessor.class);
    static final long FIRST_BACKOFF_MS = 200;
    static final long MAX_BACKOFF_MS = 10_000;
    /** Longest wait of one {@code process} call while stalled, well inside {@code max.poll.interval.ms}. */
    static final long MAX_INTAKE_WAIT_MS = 100;
    /** Bytes of a pending-store record besides the input's key, value, headers and topic name. */
    private static final int PENDING_OVERHEAD = 128;

    /**
     * When a batch closes, the largest record the task may write, and whether forwarded events are deleted only
     * after a commit (at_least_once, where a delete and its output are not written atomically) or at once
     * (exactly_once_v2, where they commit in one transaction).
     */
    record BatchRules(int maxRecords, long maxTokens, long maxDelayMs, int outputMaxBytes, boolean deleteAfterCommit) {
        /**
         * The bound every written record is checked against: output.max.bytes less a margin for the framing a
         * compression codec adds to incompressible data (0.5% + 512 bytes; lz4's worst case is about 0.4%).
         */
        long maxRecordBytes() {
            return outputMaxBytes - (outputMaxBytes / 200 + 512);
        }

        String limit() {
            return "output.max.bytes=" + outputMaxBytes + " (records are kept under " + maxRecordBytes()
                    + " bytes, leaving room for compression framing)";
        }
    }

    private final EnrichmentEngine engine;
    private final InputDecoder decoder;
    private final List<Route> routes;
    private final BatchRules rules;
    private final Serializer<EnrichedEvent> valueSerializer;
    private final String outputTopic;
    private final ProcessingMetrics metrics;
    private final Stalls stalls;
    private final CommitCountingStore.Commits commits;
    /** Forwarded events awaiting a commit before their delete: (sequence bound, commit count when forwarded). */
    private final ArrayDeque<long[]> awaitingCommit = new ArrayDeque<>();

    private ProcessorContext<byte[], byte[]> context;
    private AtomicLong commitCount;
    /** Every event below this sequence was forwarded (or dead-lettered); those below {@code deletedBelow} are gone. */
    private long forwardedBelow;
    private long deletedBelow;
    private KeyValueStore<Long, PendingEvent> pending;
    private long nextSequence;
    private int pendingCount;
    private long oldestArrival;
    private long longestEstimate;
    private long retryAt;
    private long backoff;

    EnrichProcessor(EnrichmentEngine engine, InputDecoder decoder, List<Route> routes, BatchRules rules,
                    Serializer<EnrichedEvent> valueSerializer, String outputTopic, ProcessingMetrics metrics,
                    Stalls stalls, CommitCountingStore.Commits commits) {
        this.engine = engine;
        this.decoder = decoder;
        this.routes = routes;
        this.rules = rules;
        this.valueSerializer = valueSerializer;
        this.outputTopic = outputTopic;
        this.metrics = metrics;
        this.stalls = stalls;
        this.commits = commits;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.pending = context.getStateStore(EnricherTopology.PENDING_STORE);
        commitCount = commits.of(context.taskId());
        awaitingCommit.clear();
        nextSequence = 0;
        pendingCount = 0;
        oldestArrival = Long.MAX_VALUE;
        longestEstimate = 0;
        retryAt = 0;
        backoff = 0;
        forwardedBelow = Long.MAX_VALUE;
        try (KeyValueIterator<Long, PendingEvent> it = pending.all()) {
            while (it.hasNext()) {
                KeyValue<Long, PendingEvent> kv = it.next();
                forwardedBelow = Math.min(forwardedBelow, kv.key);
                nextSequence = Math.max(nextSequence, kv.key + 1);
                pendingCount++;
                oldestArrival = Math.min(oldestArrival, kv.value.getArrivalMillis());
                longestEstimate = Math.max(longestEstimate, estimatedTokens(kv.value));
            }
        }
        forwardedBelow = pendingCount == 0 ? 0 : forwardedBelow;
        deletedBelow = forwardedBelow;
        if (pendingCount > 0) {
            LOG.info("task {}: {} pending events restored, enriching them first", context.taskId(), pendingCount);
        }
        long tick = Math.max(1, Math.min(50, rules.maxDelayMs() / 4));
        context.schedule(Duration.ofMillis(tick), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata metadata = context.recordMetadata().orElseThrow();
        DeadLetters.Source source = new DeadLetters.Source(metadata.topic(), metadata.partition(), metadata.offset());
        metrics.eventIn();
        deleteCommitted();
        long now = context.currentSystemTimeMs();
        long storedBytes = pendingBytes(source.topic(), record);
        if (storedBytes > rules.maxRecordBytes()) {
            deadLetter(record.key(), record.value(), record.timestamp(), record.headers(), DeadLetterReason.TOO_LARGE,
                    "input record of about " + storedBytes + " bytes does not fit in the pending store's changelog "
                            + "(" + rules.limit() + ")", source);
            return;
        }
        PendingEvent p = PendingEvent.newBuilder()
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setRecordTime(record.timestamp())
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setHeaders(headersOf(record.headers()))
                .setArrivalMillis(now)
                .build();
        pending.put(nextSequence++, p);
        pendingCount++;
        oldestArrival = Math.min(oldestArrival, now);
        longestEstimate = Math.max(longestEstimate, estimatedTokens(p));
        if (pendingCount >= rules.maxRecords() || pendingCount * longestEstimate >= rules.maxTokens()) {
            if (now >= retryAt) {
                flush(now);
            } else {
                waitForRetry(now);
            }
        }
    }

    /** Tokens a record's text is likely to take, special tokens included, from its value's size. */
    static long estimatedTokens(PendingEvent p) {
        return 2 + (p.getValue() == null ? 0 : (p.getValue().remaining() + 3) / 4);
    }

    private static long pendingBytes(String topic, Record<byte[], byte[]> record) {
        return PENDING_OVERHEAD + topic.length() + RecordSizes.upperBound(record.key(), record.value(), record.headers());
    }

    private void waitForRetry(long now) {
        try {
            Thread.sleep(Math.min(MAX_INTAKE_WAIT_MS, retryAt - now));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void punctuate(long now) {
        deleteCommitted();
        if (pendingCount > 0 && now - oldestArrival >= rules.maxDelayMs() && now >= retryAt) {
            flush(now);
        }
    }

    private record Entry(long sequence, PendingEvent pending, Object decoded) {}

    /**
     * Handles one batch: the oldest pending records, at most {@code maxRecords}, in sequence order. One batch a
     * call keeps each poll loop (and under exactly_once_v2 each transaction) as short as at saturation; a backlog,
     * after a restore or a stall, is worked off over the following calls (records and punctuation ticks).
     */
    private void flush(long now) {
        long start = System.nanoTime();
        List<Entry> batch = new ArrayList<>(Math.min(pendingCount, rules.maxRecords()));
        List<EnrichmentEngine.Event> events = new ArrayList<>();
        try (KeyValueIterator<Long, PendingEvent> it = pending.range(forwardedBelow, Long.MAX_VALUE)) {
            while (it.hasNext() && batch.size() < rules.maxRecords()) {
                KeyValue<Long, PendingEvent> kv = it.next();
                Object decoded = decoder.decode(kv.value.getValue() == null ? null : bytes(kv.value.getValue()));
                batch.add(new Entry(kv.key, kv.value, decoded));
                if (decoded instanceof InputDecoder.Decoded d) {
                    events.add(event(kv.value, d));
                }
            }
        } catch (RegistryException.Unavailable e) {
            stall(Stalls.REGISTRY, e, now + (System.nanoTime() - start) / 1_000_000);
            return;
        }
        List<EnrichmentEngine.Outcome> outcomes;
        try {
            outcomes = engine.enrich(events, now);
        } catch (EnrichmentEngine.EngineFailure e) {
            stall(Stalls.ENGINE, e, now + (System.nanoTime() - start) / 1_000_000);
            return;
        }
        if (!events.isEmpty()) {
            metrics.batch(events.size());
        }
        int next = 0;
        for (Entry d : batch) {
            if (d.decoded() instanceof InputDecoder.Rejected rejected) {
                deadLetter(d.pending(), rejected.reason(), rejected.message());
            } else {
                forward(d.pending(), outcomes.get(next++));
            }
        }
        if (!batch.isEmpty()) {
            forwarded(batch.get(batch.size() - 1).sequence() + 1);
        }
        pendingCount = batch.size() < rules.maxRecords() ? 0 : Math.max(0, pendingCount - batch.size());
        if (pendingCount == 0) {
            oldestArrival = Long.MAX_VALUE;
            longestEstimate = 0;
        }
        if (backoff > 0) {
            LOG.info("task {}: enriching again after a transient fault", context.taskId());
            stalls.clear(context.taskId());
            backoff = 0;
            retryAt = 0;
        }
    }

    /** Every event below {@code bound} was forwarded: delete them now, or after the next commit. */
    private void forwarded(long bound) {
        forwardedBelow = bound;
        if (rules.deleteAfterCommit()) {
            awaitingCommit.add(new long[] {bound, commitCount.get()});
        } else {
            deleteBelow(bound);
        }
    }

    /** Deletes the forwarded events a commit has followed: their outputs are acknowledged. */
    private void deleteCommitted() {
        long commitsNow = commitCount.get();
        while (!awaitingCommit.isEmpty() && awaitingCommit.peek()[1] < commitsNow) {
            deleteBelow(awaitingCommit.poll()[0]);
        }
    }

    private void deleteBelow(long bound) {
        List<Long> keys = new ArrayList<>();
        try (KeyValueIterator<Long, PendingEvent> it = pending.range(deletedBelow, bound - 1)) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.forEach(pending::delete);
        deletedBelow = bound;
    }

    /** @param failedAt when the attempt ended, on the context's clock (the context's cached time plus its length) */
    private void stall(String kind, RuntimeException cause, long failedAt) {
        backoff = backoff == 0 ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoff * 2);
        retryAt = failedAt + backoff;
        metrics.transientFault(kind);
        stalls.stall(context.taskId(), kind, cause.getMessage());
        LOG.warn("task {}: {} pending events kept, retrying in {} ms: {} failure: {}", context.taskId(), pendingCount,
                backoff, kind, cause.getMessage());
    }

    private static EnrichmentEngine.Event event(PendingEvent p, InputDecoder.Decoded d) {
        String id = d.id() != null ? d.id() : p.getSourceTopic() + "-" + p.getSourcePartition() + "-" + p.getSourceOffset();
        return new EnrichmentEngine.Event(id, d.text(), p.getSourceTopic(), p.getSourcePartition(), p.getSourceOffset(),
                p.getRecordTime(), d.eventTime(), d.metadata(), p.getArrivalMillis());
    }

    private void forward(PendingEvent p, EnrichmentEngine.Outcome outcome) {
        if (outcome.failure() != null) {
            deadLetter(p, DeadLetterReason.INFERENCE, outcome.failure());
            return;
        }
        EnrichedEvent event = outcome.event();
        byte[] key = p.getKey() == null ? null : bytes(p.getKey());
        Set<String> topics = new LinkedHashSet<>();
        topics.add(outputTopic);
        if (event.getClassification() != null) {
            for (Route route : routes) {
                for (var score : event.getClassification().getScores()) {
                    if (score.getLabel().equals(route.label()) && score.getScore() >= route.threshold()) {
                        topics.add(route.topic());
                    }
                }
            }
        }
        List<Record<byte[], byte[]>> records = new ArrayList<>(topics.size());
        for (String topic : topics) {
            Headers headers = headersFrom(p.getHeaders());
            byte[] value = valueSerializer.serialize(topic, headers, event);
            long size = RecordSizes.upperBound(key, value, headers);
            if (size > rules.maxRecordBytes()) {
                deadLetter(p, DeadLetterReason.TOO_LARGE, "enriched event of about " + size + " bytes for topic "
                        + topic + " exceeds " + rules.limit());
                return;
            }
            records.add(new Record<>(key, value, p.getRecordTime(), headers));
        }
        metrics.eventOut(event.getProcessingTime().toEpochMilli() - p.getRecordTime(), event.getTimings().getBatchWaitMs());
        List<String> sinks = topics.stream().map(t -> t.equals(outputTopic) ? EnricherTopology.OUTPUT_SINK
                : EnricherTopology.routeSink(t)).toList();
        for (int i = 0; i < records.size(); i++) {
            context.forward(records.get(i), sinks.get(i));
        }
    }

    private void deadLetter(PendingEvent p, DeadLetterReason reason, String message) {
        deadLetter(p.getKey() == null ? null : bytes(p.getKey()), p.getValue() == null ? null : bytes(p.getValue()),
                p.getRecordTime(), headersFrom(p.getHeaders()), reason, message,
                new DeadLetters.Source(p.getSourceTopic(), p.getSourcePartition(), p.getSourceOffset()));
    }

    private void deadLetter(byte[] key, byte[] value, long timestamp, Headers original, DeadLetterReason reason,
                            String message, DeadLetters.Source source) {
        DeadLetters.Letter letter = DeadLetters.letter(key, value, original, reason, message, source,
                rules.maxRecordBytes());
        metrics.deadLetter(reason);
        context.forward(new Record<>(letter.key(), letter.value(), timestamp, letter.headers()), EnricherTopology.DLQ_SINK);
    }

    @Override
    public void close() {
        stalls.clear(context.taskId());
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
