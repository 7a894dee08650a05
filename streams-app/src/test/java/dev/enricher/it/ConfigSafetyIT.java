package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.config.EnricherConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The jar in a child JVM ({@code java -jar enricher.jar run}, as {@link CrashRecoveryIT} starts it) with
 * configurations that must not run, next to the real broker: input that would read the service's own topics is
 * refused before anything starts (exit code 2, the key named), and secrets given to a start that fails (Kafka
 * passwords, the user-info of the registry URL) appear nowhere in the process's output.
 */
class ConfigSafetyIT {
    static final Duration RUN_LIMIT = Duration.ofSeconds(120);

    /** A finished child: its exit code and everything it printed (stdout and stderr). */
    record Run(int exit, String output) {}

    @Test
    void inputTopicsEqualToTheDeadLetterTopicAreRefused() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("loop-dlq");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "at_least_once");
        props.put(EnricherConfig.INPUT_TOPICS, prefix + "-dlq");
        Run run = run(props, prefix);
        System.out.printf("config safety: input.topics=dlq.topic -> exit %d: %s%n", run.exit(), firstLine(run));
        assertEquals(2, run.exit(), run.output());
        assertTrue(run.output().contains("input.topics") && run.output().contains(prefix + "-dlq (dlq.topic)"),
                run.output());
    }

    @Test
    void aPatternMatchingTheOutputAndDeadLetterTopicsIsRefused() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("loop-pattern");
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "at_least_once");
        props.remove(EnricherConfig.INPUT_TOPICS);
        props.put(EnricherConfig.INPUT_TOPIC_PATTERN, prefix + "-(in|out|dlq)");
        Run run = run(props, prefix);
        System.out.printf("config safety: input.topic.pattern over output and DLQ -> exit %d: %s%n", run.exit(),
                firstLine(run));
        assertEquals(2, run.exit(), run.output());
        assertTrue(run.output().contains("input.topic.pattern") && run.output().contains(prefix + "-out (output.topic)")
                && run.output().contains(prefix + "-dlq (dlq.topic)"), run.output());
    }

    @Test
    void anInvalidPatternAndAThresholdOutOfRangeAreRefusedNamingTheirKeys() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("bad-values");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "at_least_once");
        props.remove(EnricherConfig.INPUT_TOPICS);
        props.put(EnricherConfig.INPUT_TOPIC_PATTERN, "[");
        Run pattern = run(props, prefix);
        System.out.printf("config safety: input.topic.pattern=[ -> exit %d: %s%n", pattern.exit(), firstLine(pattern));
        assertEquals(2, pattern.exit(), pattern.output());
        assertTrue(pattern.output().contains("input.topic.pattern"), pattern.output());

        props.remove(EnricherConfig.INPUT_TOPIC_PATTERN);
        props.put(EnricherConfig.INPUT_TOPICS, prefix + "-in");
        props.put(EnricherConfig.CLASSIFIER_LABEL_THRESHOLDS, "toxic:7");
        Run threshold = run(props, prefix);
        System.out.printf("config safety: classifier.label.thresholds=toxic:7 -> exit %d: %s%n", threshold.exit(),
                firstLine(threshold));
        assertEquals(2, threshold.exit(), threshold.output());
        assertTrue(threshold.output().contains("classifier.label.thresholds"), threshold.output());
    }

    @Test
    void secretsAppearNowhereInTheOutputOfAFailedStart() throws Exception {
        String marker = "MARKER" + UUID.randomUUID().toString().replace("-", "");
        String prefix = KafkaTestSupport.uniquePrefix("secrets");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "at_least_once");
        props.put(EnricherConfig.KAFKA_PREFIX + "ssl.keystore.key", marker + "keystorekey");
        props.put(EnricherConfig.KAFKA_PREFIX + "producer.ssl.key.password", marker + "producerkeypassword");
        int closedPort = ApicurioRegistry.freePort();
        props.put(EnricherConfig.SCHEMA_REGISTRY_URL, "http://someuser:" + marker + "urlpassword@127.0.0.1:"
                + closedPort + "/apis/ccompat/v7");
        props.put(EnricherConfig.SCHEMA_REGISTRY_STARTUP_TIMEOUT_MS, 1000);
        props.put(EnricherConfig.SCHEMA_REGISTRY_RETRY_BACKOFF_MS, 250);
        Run run = run(props, prefix);
        System.out.printf("config safety: secrets and an unreachable registry -> exit %d, %d characters of output, "
                + "marker %s%n%s", run.exit(), run.output().length(),
                run.output().contains(marker) ? "FOUND" : "absent", run.output());
        assertEquals(1, run.exit(), "the start fails: the registry is unreachable");
        assertTrue(run.output().contains("kafka.ssl.keystore.key=[hidden]")
                && run.output().contains("kafka.producer.ssl.key.password=[hidden]"),
                "the configuration line was logged, the secrets masked");
        assertTrue(run.output().contains("http://[hidden]@127.0.0.1:" + closedPort + "/apis/ccompat/v7"),
                "the registry is named, its user-info hidden");
        assertFalse(run.output().contains(marker), "no secret in the output");
    }

    private static Run run(Map<String, Object> props, String prefix) throws Exception {
        assertTrue(Files.isRegularFile(CrashRecoveryIT.JAR), "build the jar first (mvn package): "
                + CrashRecoveryIT.JAR.toAbsolutePath());
        Path config = KafkaTestSupport.tempConfigFile(props);
        Path log = Files.createTempFile(prefix, ".log");
        Process child = CrashRecoveryIT.startChild(config, log);
        if (!child.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("the service still ran after " + RUN_LIMIT + "; output:\n"
                    + Files.readString(log));
        }
        return new Run(child.exitValue(), Files.readString(log));
    }

    private static String firstLine(Run run) {
        return run.output().lines().findFirst().orElse("(no output)");
    }
}
