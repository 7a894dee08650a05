package dev.enricher.topology;

import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.PendingEvent;
import dev.enricher.avro.PendingHeader;
import dev.enricher.batching.BatchScheduler;
import dev.enricher.config.EnricherConfig.Route;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.RegistryException;
import dev.enricher.tokenize.Tokenized;
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
 * Keeps input records in the changelogged pending store, hands them to the process-wide {@link BatchScheduler}
 * and forwards their results, in input order, from its own stream thread.
 *
 * <p>Loss-free by construction: a record is written to the pending store in the same {@code process} call that
 * consumes it, and deleted only after its result (or its dead letter) has been written. Kafka Streams commits
 * the store's changelog before the input offset, so a record whose offset is committed is either done or restored
 * into the store after a crash or a rebalance, then done; a commit with events still in the scheduler is safe for
 * the same reason. Under exactly_once_v2 the deletes, the outputs and the offsets commit in one transaction, so
 * events are deleted as they are forwarded. Under at_least_once a delete could land while its output is refused
 * or lost in a crash, so forwarded events are deleted only after a commit has completed ({@link
 * CommitCountingStore}: the producer was flushed, the outputs are acknowledged); a crash before that repeats them.
 *
 * <p>Each record is decoded and its text encoded when it is handed over (undecodable input is dead-lettered in
 * input order with the rest; the scheduler batches on the encoded length),
 * at most {@link #MAX_INTAKE_WAIT_MS} of waiting for room in the scheduler per {@code process} call. Events the
 * scheduler had no room for stay in the store only (not in memory) and are handed over, in order, on later
 * calls and punctuations. Results come back on inference threads into this task's slots; {@code process} and a
 * wall-clock punctuation forward the completed ones at the head, so per-partition order holds. When the task
 * closes (revoked, crashed), results still in the scheduler are dropped: the next owner restores the store and
 * enriches them again.
 *
 * <p>Nothing written is over {@link WriteRules#maxRecordBytes()}: an input record too large for the store's
 * changelog (dead-lettered at once, ahead of earlier events still pending), an enriched event too large for its
 * topic and an oversized dead letter all become compact dead letters ({@link DeadLetterReason#TOO_LARGE}). An
 * unreachable schema registry leaves the records in the store, marks the task in {@link Stalls} and retries with
 * backoff; failing models are the scheduler's to retry.
 *
 * <p>One instance per task, called by one stream thread; the engine, the scheduler, the decoder and the stalls are
 * shared. Kafka Streams may close an instance (suspend) and init it again (resume). Times come from the processor
 * context's wall clock, except the bounded wait for room ({@link System#nanoTime()}).
 */
final class EnrichProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(EnrichProcessor.class);
    static final long FIRST_BACKOFF_MS = 200;
    static final long MAX_BACKOFF_MS = 10_000;
    /** Longest wait for room in the scheduler of one {@code process} call, well inside {@code max.poll.interval.ms}. */
    static final long MAX_INTAKE_WAIT_MS = 100;
    /** Bytes of a pending-store record besides the input's key, value, headers and topic name. */
    private static final int PENDING_OVERHEAD = 128;

    /**
     * The largest record the task may write, and whether forwarded events are deleted only after a commit
     * (at_least_once, where a delete and its output are not written atomically) or at once (exactly_once_v2,
     * where they commit in one transaction).
     */
    record WriteRules(int outputMaxBytes, boolean deleteAfterCommit) {
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

    /**
     * A pending event handed to the scheduler or rejected, awaiting its turn to be written. Owned by the stream
     * thread, except {@code outcome}, which an inference thread sets once.
     */
    private static final class Slot {
        final long sequence;
        final PendingEvent pending;
        /** Why the record is not an event; null when it went to the scheduler. */
        final InputDecoder.Rejected rejected;
        volatile EnrichmentEngine.Outcome outcome;

        Slot(long sequence, PendingEvent pending, InputDecoder.Rejected rejected) {
            this.sequence = sequence;
            this.pending = pending;
            this.rejected = rejected;
        }

        boolean done() {
            return rejected != null || outcome != null;
        }
    }

    private final EnrichmentEngine engine;
    private final BatchScheduler scheduler;
    private final InputDecoder decoder;
    private final List<Route> routes;
    private final WriteRules rules;
    private final long punctuateEveryMs;
    private final Serializer<EnrichedEvent> valueSerializer;
    private final String outputTopic;
    private final ProcessingMetrics metrics;
    private final Stalls stalls;
    private final CommitCountingStore.Commits commits;
    /** Forwarded events awaiting a commit before their delete: (sequence bound, commit count when forwarded). */
    private final ArrayDeque<long[]> awaitingCommit = new ArrayDeque<>();
    /** Events handed over or rejected and not yet written, in sequence order. */
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();

    private ProcessorContext<byte[], byte[]> context;
    private BatchScheduler.Lane lane;
    private AtomicLong commitCount;
    /** Every event below this sequence is deleted from the store. */
    private long deletedBelow;
    /** Every event below this sequence is in {@code slots} or forwarded; those from it on are in the store only. */
    private long handedBelow;
    private KeyValueStore<Long, PendingEvent> pending;
    private long nextSequence;
    private long retryAt;
    private long backoff;

    /** @param punctuateEveryMs how often completed results are looked for when no record comes */
    EnrichProcessor(EnrichmentEngine engine, BatchScheduler scheduler, InputDecoder decoder, List<Route> routes,
                    WriteRules rules, long punctuateEveryMs, Serializer<EnrichedEvent> valueSerializer, String outputTopic,
                    ProcessingMetrics metrics, Stalls stalls, CommitCountingStore.Commits commits) {
        this.engine = engine;
        this.scheduler = scheduler;
        this.decoder = decoder;
        this.routes = routes;
        this.rules = rules;
        this.punctuateEveryMs = punctuateEveryMs;
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
        lane = scheduler.lane(context.taskId().toString());
        commitCount = commits.of(context.taskId());
        awaitingCommit.clear();
        slots.clear();
        retryAt = 0;
        backoff = 0;
        long first = Long.MAX_VALUE;
        long last = -1;
        int restored = 0;
        try (KeyValueIterator<Long, PendingEvent> it = pending.all()) {
            while (it.hasNext()) {
                long key = it.next().key;
                first = Math.min(first, key);
                last = Math.max(last, key);
                restored++;
            }
        }
        nextSequence = last + 1;
        deletedBelow = restored == 0 ? 0 : first;
        handedBelow = deletedBelow;
        if (restored > 0) {
            LOG.info("task {}: {} pending events restored, enriching them first", context.taskId(), restored);
        }
        context.schedule(Duration.ofMillis(punctuateEveryMs), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata metadata = context.recordMetadata().orElseThrow();
        DeadLetters.Source source = new DeadLetters.Source(metadata.topic(), metadata.partition(), metadata.offset());
        metrics.eventIn();
        deleteCommitted();
        forwardDone();
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
        pending.put(nextSequence, p);
        nextSequence++;
        handOver(now, MAX_INTAKE_WAIT_MS, p);
        forwardDone();
    }

    /**
     * The text encoded here, on the stream thread, so that the scheduler knows its length and the inference
     * threads need not encode it; null when encoding fails (its batch encodes it again, and a text the tokenizer
     * fails on becomes a dead letter there).
     */
    private Tokenized tokens(String text) {
        try {
            return engine.tokenize(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Tokens a text is likely to take, special tokens included: about 4 characters a token. */
    static long estimatedTokens(String text) {
        return 2 + (text.length() + 3) / 4;
    }

    private static long pendingBytes(String topic, Record<byte[], byte[]> record) {
        return PENDING_OVERHEAD + topic.length() + RecordSizes.upperBound(record.key(), record.value(), record.headers());
    }

    private void punctuate(long now) {
        deleteCommitted();
        forwardDone();
        handOver(now, 0, null);
        forwardDone();
    }

    /**
     * Decodes the events from {@code handedBelow} on, in order, and hands them to the scheduler, waiting up to
     * {@code waitMs} in all for room; stops at the first it has no room for.
     *
     * @param latest the event just stored, to save reading it back; may be null
     */
    private void handOver(long now, long waitMs, PendingEvent latest) {
        if (now < retryAt) {
            return;
        }
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        while (handedBelow < nextSequence) {
            if (waitMs == 0 && !scheduler.hasRoom()) {
                return;
            }
            long sequence = handedBelow;
            PendingEvent p = latest != null && sequence == nextSequence - 1 ? latest : pending.get(sequence);
            if (p == null) {
                LOG.warn("task {}: no pending event {} in the store (sequences restored with a gap); skipped",
                        context.taskId(), sequence);
                handedBelow++;
                continue;
            }
            Object decoded;
            try {
                decoded = decoder.decode(p.getValue() == null ? null : bytes(p.getValue()));
            } catch (RegistryException.Unavailable e) {
                stall(e, context.currentSystemTimeMs());
                return;
            }
            if (decoded instanceof InputDecoder.Rejected rejected) {
                slots.add(new Slot(sequence, p, rejected));
            } else {
                InputDecoder.Decoded d = (InputDecoder.Decoded) decoded;
                Slot slot = new Slot(sequence, p, null);
                EnrichmentEngine.Event event = event(p, d, tokens(d.text()), now);
                long tokens = event.tokens() != null ? EnrichmentEngine.Event.tokenCount(event.tokens())
                        : estimatedTokens(d.text());
                try {
                    long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                    if (!lane.submit(event, tokens, o -> slot.outcome = o, left)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                slots.add(slot);
            }
            handedBelow++;
            if (backoff > 0) {
                LOG.info("task {}: decoding again after a transient fault", context.taskId());
                stalls.clear(context.taskId().toString());
                backoff = 0;
                retryAt = 0;
            }
        }
    }

    /** Writes the results (or dead letters) at the head of the slots, in order, up to the first still running. */
    private void forwardDone() {
        long bound = -1;
        while (!slots.isEmpty() && slots.peek().done()) {
            Slot s = slots.poll();
            if (s.rejected != null) {
                deadLetter(s.pending, s.rejected.reason(), s.rejected.message());
            } else {
                forward(s.pending, s.outcome);
            }
            bound = s.sequence + 1;
        }
        if (bound >= 0) {
            forwarded(bound);
        }
    }

    /** Every event below {@code bound} was forwarded: delete them now, or after the next commit. */
    private void forwarded(long bound) {
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
        for (long k = deletedBelow; k < bound; k++) {
            pending.delete(k);
        }
        deletedBelow = bound;
    }

    /** @param failedAt when the attempt ended, on the context's clock */
    private void stall(RegistryException.Unavailable cause, long failedAt) {
        backoff = backoff == 0 ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoff * 2);
        retryAt = failedAt + backoff;
        metrics.transientFault(Stalls.REGISTRY);
        stalls.stall(context.taskId().toString(), Stalls.REGISTRY, cause.getMessage());
        LOG.warn("task {}: {} pending events kept, retrying in {} ms: registry failure: {}", context.taskId(),
                nextSequence - handedBelow, backoff, cause.getMessage());
    }

    /** @param handedOver now, on the context's clock: the scheduler dates the batch's start from it */
    private static EnrichmentEngine.Event event(PendingEvent p, InputDecoder.Decoded d, Tokenized tokens,
                                                long handedOver) {
        String id = d.id() != null ? d.id() : p.getSourceTopic() + "-" + p.getSourcePartition() + "-" + p.getSourceOffset();
        return new EnrichmentEngine.Event(id, d.text(), p.getSourceTopic(), p.getSourcePartition(), p.getSourceOffset(),
                p.getRecordTime(), d.eventTime(), d.metadata(), handedOver, tokens);
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
        for (Route route : routes) {
            for (var result : event.getClassifications()) {
                if (!result.getTask().equals(route.classifier())) {
                    continue;
                }
                for (var score : result.getScores()) {
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

    /**
     * Drops this task's events still in the scheduler: the store keeps them for the next owner. Deletes the
     * forwarded events a commit has followed (Kafka Streams commits before it suspends or closes a task), so a
     * task resumed on this instance does not enrich them again.
     */
    @Override
    public void close() {
        if (lane != null) {
            lane.close();
        }
        try {
            deleteCommitted();
        } catch (RuntimeException e) {
            LOG.debug("task {}: forwarded events not deleted at close (restored and repeated): {}", context.taskId(),
                    e.toString());
        }
        stalls.clear(context.taskId().toString());
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
