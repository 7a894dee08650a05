package dev.enricher.serde;

import dev.enricher.config.EnricherConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.common.config.types.Password;

/** The schema registry a configuration asks for: a Confluent-API client, or ids kept in-process. */
public final class Registries {
    private Registries() {}

    public static SchemaRegistry fromConfig(EnricherConfig config) {
        String url = config.getString(EnricherConfig.SCHEMA_REGISTRY_URL);
        if (url.isBlank()) {
            return new InProcessSchemaRegistry();
        }
        int backoff = config.getInt(EnricherConfig.SCHEMA_REGISTRY_RETRY_BACKOFF_MS);
        int startup = config.getInt(EnricherConfig.SCHEMA_REGISTRY_STARTUP_TIMEOUT_MS);
        return new ConfluentRegistryClient(new ConfluentRegistryClient.Settings(url,
                secret(config, EnricherConfig.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO),
                secret(config, EnricherConfig.SCHEMA_REGISTRY_BEARER_TOKEN),
                store(config, EnricherConfig.SCHEMA_REGISTRY_TRUSTSTORE_LOCATION,
                        EnricherConfig.SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD, EnricherConfig.SCHEMA_REGISTRY_TRUSTSTORE_TYPE),
                store(config, EnricherConfig.SCHEMA_REGISTRY_KEYSTORE_LOCATION,
                        EnricherConfig.SCHEMA_REGISTRY_KEYSTORE_PASSWORD, EnricherConfig.SCHEMA_REGISTRY_KEYSTORE_TYPE),
                Duration.ofMillis(config.getInt(EnricherConfig.SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS)),
                Math.max(0, startup / backoff), Duration.ofMillis(backoff)));
    }

    /** How the output serializer finds its ids: schema.registry.subject.name.strategy, auto.register, subject.version. */
    public static ConfluentAvro.Registration registration(EnricherConfig config) {
        return new ConfluentAvro.Registration(
                SubjectNameStrategy.parse(config.getString(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY)),
                config.getBoolean(EnricherConfig.SCHEMA_REGISTRY_AUTO_REGISTER),
                config.getString(EnricherConfig.SCHEMA_REGISTRY_SUBJECT_VERSION).trim());
    }

    /**
     * The warning a service run with this configuration deserves: the built-in serializer without
     * schema.registry.url writes ids no consumer can resolve. Empty with a registry, or with output.value.serde
     * (that serde manages its own schemas).
     */
    public static Optional<String> inProcessWarning(EnricherConfig config) {
        if (!config.getString(EnricherConfig.SCHEMA_REGISTRY_URL).isBlank()
                || !config.getString(EnricherConfig.OUTPUT_VALUE_SERDE).isBlank()) {
            return Optional.empty();
        }
        return Optional.of("schema.registry.url is empty: output records carry schema ids assigned in this process, "
                + "which no consumer can resolve through a registry (they must decode with EnrichedEvent.avsc of "
                + "this release); set schema.registry.url for anything but a trial");
    }

    private static Optional<String> secret(EnricherConfig config, String key) {
        Password p = config.getPassword(key);
        return p == null || p.value().isEmpty() ? Optional.empty() : Optional.of(p.value());
    }

    private static Optional<ConfluentRegistryClient.Store> store(EnricherConfig config, String location, String password,
                                                               String type) {
        String path = config.getString(location);
        if (path.isBlank()) {
            return Optional.empty();
        }
        Password p = config.getPassword(password);
        return Optional.of(new ConfluentRegistryClient.Store(Path.of(path), p == null ? "" : p.value(),
                config.getString(type)));
    }
}
