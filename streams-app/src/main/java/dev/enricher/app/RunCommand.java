package dev.enricher.app;

import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.Registries;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code run}: the service, until SIGTERM/SIGINT (graceful) or a fatal error (exit code 1). */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs the service with a properties file; ENRICHER_* environment variables override its keys.")
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = "--config", description = "Properties file (optional when everything is set by ENRICHER_* variables).")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        EnricherConfig settings;
        try {
            settings = EnricherConfig.load(config, System.getenv());
        } catch (ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            return 2;
        }
        LogFormat.apply(settings.getString(EnricherConfig.LOG_FORMAT));
        Registries.inProcessWarning(settings).ifPresent(LOG::warn);
        EnricherService service;
        try {
            service = EnricherService.create(settings);
        } catch (RuntimeException e) {
            LOG.error("cannot start: {}", e.getMessage());
            System.err.println("cannot start: " + e.getMessage());
            return 1;
        }
        Duration timeout = Duration.ofMillis(settings.getInt(EnricherConfig.SHUTDOWN_TIMEOUT_MS));
        Thread hook = new Thread(() -> {
            LOG.info("shutdown requested: stopping Kafka Streams, then the models");
            boolean clean = service.close(timeout);
            System.out.flush();
            System.err.flush();
            // The exit code of a SIGTERM-ed JVM would be 143 whatever happened: say instead whether it was clean.
            Runtime.getRuntime().halt(clean && service.failure().isEmpty() ? 0 : 1);
        }, "enricher-shutdown");
        try {
            service.start();
        } catch (RuntimeException e) {
            LOG.error("cannot start: {}", e.getMessage());
            System.err.println("cannot start: " + e.getMessage());
            service.close(timeout);
            return 1;
        }
        // Only a started service is stopped by the hook, whose exit code says whether that was clean.
        Runtime.getRuntime().addShutdownHook(hook);
        while (!service.awaitStop(Duration.ofSeconds(1))) {
            // runs until Kafka Streams stops: a fatal error, or close() from the shutdown hook
        }
        if (service.failure().isPresent()) {
            service.close(timeout);
            return 1;
        }
        return 0;
    }
}
