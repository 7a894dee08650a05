package dev.enricher.topology;

import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.PendingEvent;
import dev.enricher.batching.BatchScheduler;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.AvroLimits;
import dev.enricher.serde.PendingEventSerde;
import dev.enricher.serde.SchemaRegistry;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The production topology: input topics (bytes) -> {@link EnrichProcessor} with its changelogged in-memory pending
 * store, handing events to the process's {@link BatchScheduler} -> output topic and route topics (EnrichedEvent,
 * serialized by the processor so that their size is known) and the dead-letter topic (original bytes). Every sink
 * writes bytes. Building it sets Avro's decoder limits ({@link AvroLimits}) to output.max.bytes, the largest record
 * the topology keeps or decodes.
 */
public final class EnricherTopology {
    public static final String SOURCE = "input";
    public static final String PROCESSOR = "enrich";
    public static final String PENDING_STORE = EnricherConfig.PENDING_STORE;
    public static final String OUTPUT_SINK = "output";
    public static final String DLQ_SINK = "dead-letters";
    /** The name under which failing models are marked in {@link Stalls}. */
    public static final String MODELS = "models";
    /** Longest interval at which a task looks for completed results when no record comes. */
    static final long PUNCTUATE_MAX_MS = 10;

    private EnricherTopology() {}

    public static String routeSink(String topic) {
        return "route-" + topic;
    }

    /**
     * The process's batch scheduler over {@code engine}, by the configuration's batch rules: batch sizes go to
     * {@code metrics}, failing models to {@code stalls} (as {@link #MODELS}). The caller owns it: close it after
     * Kafka Streams has stopped and before the engine.
     */
    public static BatchScheduler scheduler(EnricherConfig config, EnrichmentEngine engine, ProcessingMetrics metrics,
                                           Stalls stalls) {
        BatchScheduler.Rules rules = new BatchScheduler.Rules(config.getInt(EnricherConfig.BATCH_MAX_RECORDS),
                config.getInt(EnricherConfig.BATCH_MAX_TOKENS), config.getInt(EnricherConfig.BATCH_MAX_DELAY_MS),
                config.getInt(EnricherConfig.INFERENCE_BATCHES_IN_FLIGHT),
                config.maxQueuedEvents());
        return new BatchScheduler(rules, engine::enrich, new BatchScheduler.Listener() {
            @Override
            public void batch(int events) {
                metrics.batch(events);
            }

            @Override
            public void failing(String cause, long backoffMs) {
                metrics.transientFault(Stalls.ENGINE);
                stalls.stall(MODELS, Stalls.ENGINE, cause);
            }

            @Override
            public void recovered() {
                stalls.clear(MODELS);
            }
        });
    }

    /**
     * @param engine encodes texts as they are handed to the scheduler; not closed here
     * @param scheduler runs the models for every task; not closed here
     * @param valueSerializer writes EnrichedEvent values (Confluent-format Avro by default); not closed here
     * @param inputSchemas where the writer schemas of Confluent-format Avro input are looked up; null assumes the
     *     current TextEvent schema
     * @param stalls where tasks waiting out an unreachable registry are marked
     */
    public static Topology build(EnricherConfig config, EnrichmentEngine engine, BatchScheduler scheduler,
                                 Serializer<EnrichedEvent> valueSerializer, ProcessingMetrics metrics,
                                 SchemaRegistry inputSchemas, Stalls stalls) {
        int maxBytes = config.getInt(EnricherConfig.OUTPUT_MAX_BYTES);
        AvroLimits.apply(maxBytes);
        Topology topology = new Topology();
        ByteArrayDeserializer bytesIn = new ByteArrayDeserializer();
        String pattern = config.getString(EnricherConfig.INPUT_TOPIC_PATTERN);
        if (pattern.isEmpty()) {
            topology.addSource(SOURCE, bytesIn, bytesIn, config.getList(EnricherConfig.INPUT_TOPICS).toArray(String[]::new));
        } else {
            topology.addSource(SOURCE, bytesIn, bytesIn, Pattern.compile(pattern));
        }
        InputDecoder decoder = new InputDecoder(config.inputFormat(), config.getString(EnricherConfig.INPUT_JSON_TEXT_FIELD),
                config.getString(EnricherConfig.INPUT_JSON_ID_FIELD), config.getInt(EnricherConfig.INPUT_MAX_CHARS),
                inputSchemas);
        var routes = config.routes();
        boolean atLeastOnce = config.getString(EnricherConfig.PROCESSING_GUARANTEE).equals("at_least_once");
        EnrichProcessor.WriteRules rules = new EnrichProcessor.WriteRules(maxBytes, atLeastOnce);
        long punctuateEveryMs = Math.max(1,
                Math.min(PUNCTUATE_MAX_MS, config.getInt(EnricherConfig.BATCH_MAX_DELAY_MS) / 4));
        String outputTopic = config.getString(EnricherConfig.OUTPUT_TOPIC);
        CommitCountingStore.Commits commits = new CommitCountingStore.Commits();
        topology.addProcessor(PROCESSOR, () -> new EnrichProcessor(engine, scheduler, decoder, routes, rules,
                punctuateEveryMs, valueSerializer, outputTopic, metrics, stalls, commits), SOURCE);
        StoreBuilder<KeyValueStore<Long, PendingEvent>> store = Stores.keyValueStoreBuilder(
                        CommitCountingStore.supplier(Stores.inMemoryKeyValueStore(PENDING_STORE), commits), Serdes.Long(),
                        new PendingEventSerde())
                .withLoggingEnabled(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxBytes)));
        topology.addStateStore(store, PROCESSOR);
        ByteArraySerializer bytesOut = new ByteArraySerializer();
        topology.addSink(OUTPUT_SINK, outputTopic, bytesOut, bytesOut, PROCESSOR);
        topology.addSink(DLQ_SINK, config.getString(EnricherConfig.DLQ_TOPIC), bytesOut, bytesOut, PROCESSOR);
        Set<String> routeTopics = new LinkedHashSet<>();
        routes.forEach(r -> routeTopics.add(r.topic()));
        routeTopics.remove(outputTopic);
        for (String topic : routeTopics) {
            topology.addSink(routeSink(topic), topic, bytesOut, bytesOut, PROCESSOR);
        }
        return topology;
    }
}
