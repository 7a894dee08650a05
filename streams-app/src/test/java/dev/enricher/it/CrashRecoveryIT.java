package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.config.EnricherConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The service in a child JVM ({@code java -jar enricher.jar run}, the MiniLM starter models, so that a batch runs
 * for about a second), killed with SIGKILL three times while a batch is running in its scheduler and more events
 * wait, then restarted: in the end every input id is in the output, at least once under at_least_once and exactly
 * once (read_committed) under exactly_once_v2.
 */
class CrashRecoveryIT {
    static final int EVENTS = 1_500;
    static final int KILLS = 3;
    static final Path JAR = Path.of("target", "enricher.jar");

    @ParameterizedTest
    @ValueSource(strings = {"at_least_once", "exactly_once_v2"})
    void nothingIsLostWhenTheServiceIsKilledWithPendingBatches(String guarantee) throws Exception {
        assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn package): " + JAR.toAbsolutePath());
        String prefix = KafkaTestSupport.uniquePrefix("crash-" + guarantee.replace('_', '-'));
        KafkaTestSupport.broker().createTopics(3, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, guarantee);
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, TestModels.starter(TestModels.STARTER_SENTIMENT).toString());
        props.put(EnricherConfig.NER_MODEL_DIR, TestModels.starter(TestModels.STARTER_NER).toString());
        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, 200);
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 64);
        // Static membership: a restarted instance takes its partitions back at once instead of after the
        // session timeout of the killed one.
        props.put(EnricherConfig.KAFKA_PREFIX + "group.instance.id", prefix + "-instance");
        props.put(EnricherConfig.KAFKA_PREFIX + "session.timeout.ms", 10_000);
        Path config = KafkaTestSupport.tempConfigFile(props);

        AtomicInteger produced = new AtomicInteger();
        Thread producer = new Thread(() -> {
            try (KafkaProducer<byte[], byte[]> p = KafkaTestSupport.producer()) {
                for (int i = 0; i < EVENTS; i++) {
                    KafkaTestSupport.produce(p, prefix + "-in", "id-" + i, i);
                    produced.incrementAndGet();
                    if (i % 50 == 49) {
                        p.flush();
                        Thread.sleep(200);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "it-producer");
        producer.start();

        List<Path> logs = new ArrayList<>();
        int pendingAtKill = 0;
        for (int kill = 1; kill <= KILLS; kill++) {
            Path log = Files.createTempFile(prefix + "-run" + kill, ".log");
            logs.add(log);
            Process child = startChild(config, log);
            awaitLine(log, "-> RUNNING", Duration.ofSeconds(90));
            int port = httpPort(log);
            Thread.sleep(1000 + 700L * kill);
            double running = awaitRunningBatch(port, Duration.ofSeconds(60));
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            System.out.printf("crash test (%s): SIGKILL %d after %d events produced, %.0f events in a running batch "
                    + "just before (exit %d)%n", guarantee, kill, produced.get(), running, child.exitValue());
        }
        Path finalLog = Files.createTempFile(prefix + "-final", ".log");
        logs.add(finalLog);
        Process last = startChild(config, finalLog);
        producer.join();
        Map<String, Integer> seen = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(240),
                counts -> counts.size() >= EVENTS);
        last.destroy();
        last.waitFor(60, TimeUnit.SECONDS);
        for (Path log : logs) {
            pendingAtKill += countRestored(log);
        }
        long duplicates = seen.values().stream().filter(c -> c > 1).count();
        long missing = 0;
        for (int i = 0; i < EVENTS; i++) {
            if (!seen.containsKey("id-" + i)) {
                missing++;
            }
        }
        System.out.printf("crash test (%s): produced=%d kills=%d pending_events_restored_after_kills=%d "
                + "distinct_out=%d missing=%d duplicates=%d%n", guarantee, EVENTS, KILLS, pendingAtKill, seen.size(),
                missing, duplicates);
        assertEquals(0, missing, "every input id is in the output");
        assertTrue(pendingAtKill > 0, "kills happened while events were pending (restored from the changelog)");
        if (guarantee.equals("exactly_once_v2")) {
            assertEquals(0, duplicates, "exactly once under exactly_once_v2");
        }
    }

    static Process startChild(Path config, Path log) throws IOException {
        return startChild(config, log, "-Xmx512m");
    }

    /** {@code java <heap> -jar enricher.jar run --config FILE}, output into {@code log}. */
    static Process startChild(Path config, Path log, String heap) throws IOException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(javaBin, heap, "-jar", JAR.toString(), "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The port of the child's metrics endpoint, from its start-up log line. */
    static int httpPort(Path log) throws Exception {
        awaitLine(log, "metrics and probes on", Duration.ofSeconds(30));
        Matcher m = Pattern.compile("metrics and probes on \\S+ port (\\d+)").matcher(Files.readString(log));
        assertTrue(m.find(), "port in the log");
        return Integer.parseInt(m.group(1));
    }

    /** Polls the child's metrics until a batch is running in its scheduler; returns its events. */
    static double awaitRunningBatch(int port, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            double running = OperationsIT.value(OperationsIT.scrape(port), "enricher_scheduler_events{state=\"running\"}");
            if (running > 0) {
                return running;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no batch ran within " + timeout);
    }

    static void awaitLine(Path log, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("'" + text + "' not logged within " + timeout + "; log:\n" + Files.readString(log));
    }

    static int countRestored(Path log) throws IOException {
        int total = 0;
        for (String line : Files.readAllLines(log)) {
            int at = line.indexOf(" pending events restored");
            if (at > 0) {
                String before = line.substring(0, at);
                total += Integer.parseInt(before.substring(before.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }
}
