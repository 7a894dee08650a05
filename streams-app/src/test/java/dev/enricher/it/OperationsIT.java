package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.app.HttpEndpoints;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/** What operators rely on: metrics that move, probes that flip, and SIGTERM with pending events losing nothing. */
class OperationsIT {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void metricsMoveAndReadinessFlipsOnStartAndShutdown() throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix("ops-metrics");
        KafkaTestSupport.broker().createTopics(2, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
        service.start();
        int port = service.httpPort();
        String before = scrape(port);
        long deadline = System.currentTimeMillis() + 60_000;
        while (status(port, HttpEndpoints.READY_PATH) != 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(KafkaStreams.State.RUNNING, service.state());
        assertEquals(200, status(port, HttpEndpoints.READY_PATH), "ready once running");
        assertEquals(200, status(port, HttpEndpoints.LIVE_PATH));
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            for (int i = 0; i < 200; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
            producer.send(new ProducerRecord<>(prefix + "-in", null, "{broken".getBytes(StandardCharsets.UTF_8)));
        }
        KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(60), c -> c.size() >= 200);
        String after = scrape(port);
        String[] moving = {
            "enricher_events_in_total", "enricher_events_out_total",
            "enricher_dead_letters_total{reason=\"deserialization\"}", "enricher_end_to_end_latency_seconds_count",
            "enricher_batch_wait_seconds_count", "enricher_batch_size_count",
            "enricher_inference_seconds_count{model=\"classifier\"}", "enricher_inference_seconds_count{model=\"ner\"}",
            "enricher_padded_tokens_count{model=\"ner\"}",
        };
        for (String metric : moving) {
            double was = value(before, metric);
            double now = value(after, metric);
            System.out.printf("metric %s: %.0f -> %.0f%n", metric, was, now);
            assertTrue(now > was, metric + " moved");
        }
        assertTrue(value(after, "enricher_events_in_total") >= 201);
        assertTrue(after.contains("enricher_model_info{bundle=\"tiny-sentiment\""), "model info");
        assertTrue(after.contains("sha256=\"" + service.engine().provenance().get(0).getSha256() + "\""));
        assertTrue(after.contains("enricher_cpu_fallbacks"), "cpu fallbacks gauge");
        assertTrue(after.contains("kafka_stream_"), "Kafka Streams metrics bridged");
        Thread closer = new Thread(service::close);
        closer.start();
        boolean sawNotReady = false;
        while (closer.isAlive() && !sawNotReady) {
            int s = status(port, HttpEndpoints.READY_PATH);
            sawNotReady = s == 503 || s == -1;
        }
        closer.join();
        System.out.println("readiness during shutdown: " + (sawNotReady ? "not ready" : "not observed"));
        assertTrue(sawNotReady, "readiness flips to not-ready on shutdown");
    }

    @Test
    void sigtermWithPendingEventsExitsCleanlyAndLosesNothing() throws Exception {
        Path jar = Path.of("target", "enricher.jar");
        assertTrue(Files.isRegularFile(jar), "build the jar first (mvn package)");
        String prefix = KafkaTestSupport.uniquePrefix("ops-sigterm");
        KafkaTestSupport.broker().createTopics(3, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "exactly_once_v2");
        int port = freePort();
        props.put(EnricherConfig.HTTP_PORT, port);
        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, 60_000);
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 4096);
        // the scheduler gathers all partitions' events: a budget above their ~10k tokens leaves only the delay
        props.put(EnricherConfig.BATCH_MAX_TOKENS, 1_000_000);
        Path config = KafkaTestSupport.tempConfigFile(props);
        Path log = Files.createTempFile(prefix, ".log");
        Process child = CrashRecoveryIT.startChild(config, log);
        CrashRecoveryIT.awaitLine(log, "-> RUNNING", Duration.ofSeconds(90));
        int events = 500;
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer()) {
            for (int i = 0; i < events; i++) {
                KafkaTestSupport.produce(producer, prefix + "-in", "id-" + i, i);
            }
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (value(scrape(port), "enricher_events_in_total") < events && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        String metrics = scrape(port);
        assertEquals(events, value(metrics, "enricher_events_in_total"), 0.0, "all consumed");
        assertEquals(0, value(metrics, "enricher_events_out_total"), 0.0, "all pending (batch delay 60 s)");
        long stopStart = System.nanoTime();
        child.destroy();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "stopped within the shutdown timeout");
        long stopMs = (System.nanoTime() - stopStart) / 1_000_000;
        System.out.println("SIGTERM with " + events + " pending events: exit code " + child.exitValue() + " after "
                + stopMs + " ms");
        assertEquals(0, child.exitValue(), "clean exit code; log:\n" + Files.readString(log));

        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, 50);
        props.put(EnricherConfig.HTTP_PORT, 0);
        Path log2 = Files.createTempFile(prefix + "-restart", ".log");
        Process restarted = CrashRecoveryIT.startChild(KafkaTestSupport.tempConfigFile(props), log2);
        Map<String, Integer> seen = KafkaTestSupport.readIds(prefix + "-out", Duration.ofSeconds(90),
                c -> c.size() >= events);
        restarted.destroy();
        restarted.waitFor(60, TimeUnit.SECONDS);
        long duplicates = seen.values().stream().filter(c -> c > 1).count();
        System.out.println("after restart: distinct_out=" + seen.size() + " duplicates=" + duplicates
                + " restored_pending=" + CrashRecoveryIT.countRestored(log2));
        assertEquals(events, seen.size(), "nothing lost");
        assertEquals(0, duplicates);
    }

    static String scrape(int port) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + HttpEndpoints.METRICS_PATH))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static int status(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The value of a metric line (name with labels, or name alone when it has none); 0 when absent. */
    static double value(String exposition, String metric) {
        boolean labelled = metric.contains("{");
        String name = labelled ? metric.substring(0, metric.indexOf('{')) : metric;
        String labels = labelled ? metric.substring(metric.indexOf('{') + 1, metric.length() - 1) : "";
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(exposition);
        double sum = 0;
        while (m.find()) {
            if (m.group(1) == null || m.group(1).contains(labels)) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
