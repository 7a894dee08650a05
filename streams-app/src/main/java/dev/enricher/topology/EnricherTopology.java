package dev.enricher.topology;

import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.PendingEvent;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.PendingEventSerde;
import dev.enricher.serde.SchemaRegistry;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The production topology: input topics (bytes) -> {@link EnrichProcessor} with its changelogged pending store
 * -> output topic (EnrichedEvent), route topics and the dead-letter topic (original bytes).
 */
public final class EnricherTopology {
    public static final String SOURCE = "input";
    public static final String PROCESSOR = "enrich";
    public static final String PENDING_STORE = "pending-events";
    public static final String OUTPUT_SINK = "output";
    public static final String DLQ_SINK = "dead-letters";

    private EnricherTopology() {}

    public static String routeSink(String topic) {
        return "route-" + topic;
    }

    /**
     * @param valueSerializer writes EnrichedEvent values (Confluent-format Avro by default); not closed here
     * @param wallClock milliseconds, for batch delays and wait timings
     */
    public static Topology build(EnricherConfig config, EnrichmentEngine engine, Serializer<EnrichedEvent> valueSerializer,
                                 LongSupplier wallClock) {
        return build(config, engine, valueSerializer, wallClock, ProcessingMetrics.NONE, null);
    }

    /**
     * As {@link #build(EnricherConfig, EnrichmentEngine, Serializer, LongSupplier)}, reporting to {@code metrics}.
     *
     * @param inputSchemas where the writer schemas of Confluent-format Avro input are looked up; null assumes the
     *     current TextEvent schema
     */
    public static Topology build(EnricherConfig config, EnrichmentEngine engine, Serializer<EnrichedEvent> valueSerializer,
                                 LongSupplier wallClock, ProcessingMetrics metrics, SchemaRegistry inputSchemas) {
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
        int maxRecords = config.getInt(EnricherConfig.BATCH_MAX_RECORDS);
        long maxTokens = config.getInt(EnricherConfig.BATCH_MAX_TOKENS);
        long maxDelay = config.getInt(EnricherConfig.BATCH_MAX_DELAY_MS);
        topology.addProcessor(PROCESSOR, () -> new EnrichProcessor(engine, decoder, routes, maxRecords, maxTokens, maxDelay,
                wallClock, metrics),
                SOURCE);
        StoreBuilder<KeyValueStore<Long, PendingEvent>> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(PENDING_STORE), Serdes.Long(), new PendingEventSerde())
                .withLoggingEnabled(Map.of());
        topology.addStateStore(store, PROCESSOR);
        ByteArraySerializer bytesOut = new ByteArraySerializer();
        topology.addSink(OUTPUT_SINK, config.getString(EnricherConfig.OUTPUT_TOPIC), bytesOut, valueSerializer, PROCESSOR);
        topology.addSink(DLQ_SINK, config.getString(EnricherConfig.DLQ_TOPIC), bytesOut, bytesOut, PROCESSOR);
        Set<String> routeTopics = new LinkedHashSet<>();
        routes.forEach(r -> routeTopics.add(r.topic()));
        for (String topic : routeTopics) {
            topology.addSink(routeSink(topic), topic, bytesOut, valueSerializer, PROCESSOR);
        }
        return topology;
    }
}
