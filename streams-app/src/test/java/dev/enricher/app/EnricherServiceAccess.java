package dev.enricher.app;

import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;

/** Test access to the service's engine factory. */
public final class EnricherServiceAccess {
    private EnricherServiceAccess() {}

    public static EnrichmentEngine openEngine(EnricherConfig config) {
        return EnricherService.openEngine(config);
    }
}
