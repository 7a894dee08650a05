package dev.enricher.bench;

import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.SchemaRegistry;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The service as the end-to-end bench drives it: created with its models loaded, started once, watched, closed.
 * The bench gets a {@link Factory} from its caller, so it never imports the service's application package:
 * dependencies point one way, from the tooling's commands to the bench and to the service.
 *
 * <p>Ownership: whoever creates one closes it; {@link #close} is idempotent and stops Kafka Streams before the
 * models. Not thread-safe: start and close from one thread; {@link #state}, {@link #failure} and {@link
 * #scrapeMetrics} may be called from any thread.
 */
public interface BenchedService extends AutoCloseable {

    /** Starts Kafka Streams; called once. */
    void start();

    /** Kafka Streams' state, never null. */
    KafkaStreams.State state();

    /** The error that stopped the service, if one did. */
    Optional<Throwable> failure();

    /** The service's metrics in Prometheus' text format, never null. */
    String scrapeMetrics();

    /** The service's engine (its models), owned by the service: never closed by the caller. */
    EnrichmentEngine engine();

    @Override
    void close();

    /** Creates the service (models loaded, not started) from a configuration, with the schema registry given. */
    @FunctionalInterface
    interface Factory {
        BenchedService create(EnricherConfig config, SchemaRegistry registry);
    }
}
