package dev.enricher.devtools;

import dev.enricher.app.EnricherService;
import dev.enricher.bench.BenchedService;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.serde.SchemaRegistry;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;

/**
 * What the bench measures, made by the service's own code: the engine as {@code run} opens it and the service as
 * {@code run} creates it. The one place the bench reaches the service's application package, which keeps
 * {@code dev.enricher.bench} free of it.
 */
public final class ServiceTargets {
    private ServiceTargets() {}

    /** The engine as the service opens it; the caller owns and closes it. */
    public static EnrichmentEngine openEngine(EnricherConfig config) {
        return EnricherService.openEngine(config);
    }

    /** The service as {@code run} creates it (models loaded, not started); the caller owns and closes it. */
    public static BenchedService service(EnricherConfig config, SchemaRegistry registry) {
        EnricherService service = EnricherService.create(config, registry);
        return new BenchedService() {
            @Override
            public void start() {
                service.start();
            }

            @Override
            public KafkaStreams.State state() {
                return service.state();
            }

            @Override
            public Optional<Throwable> failure() {
                return service.failure();
            }

            @Override
            public String scrapeMetrics() {
                return service.metrics().scrape();
            }

            @Override
            public EnrichmentEngine engine() {
                return service.engine();
            }

            @Override
            public void close() {
                service.close();
            }
        };
    }
}
