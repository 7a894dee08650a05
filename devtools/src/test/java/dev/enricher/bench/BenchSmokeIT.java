package dev.enricher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.devtools.ServiceTargets;
import dev.enricher.broker.EmbeddedKafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

/**
 * The whole benchmark (its own in-process broker, both services) on the tiny bundles with tiny durations:
 * it completes and prints the machine-readable lines with sane values. Correctness only: no timing is asserted.
 */
class BenchSmokeIT {

    @Test
    void benchPrintsTheTableAndTheMachineLines() throws Exception {
        BenchOptions options = BenchOptions.builder(TestModels.bundle(TestModels.SENTIMENT),
                        TestModels.bundle(TestModels.NER))
                .texts(64).seconds(0.2).warmupSeconds(0.1).endToEndSeconds(1).latencySeconds(1)
                .events(256).baselineEvents(128).latencyRate(50).build();
        BenchReport report = Benchmark.run(options, ServiceTargets::openEngine, ServiceTargets::service,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        Map<String, String> lines = new HashMap<>();
        out.lines().filter(l -> l.contains("=") && !l.startsWith("|") && !l.startsWith("-"))
                .forEach(l -> lines.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));

        double e2eVsModel = Double.parseDouble(lines.get("ratio end_to_end/model_only"));
        double batchedVsPerRecord = Double.parseDouble(lines.get("ratio batched/per_record"));
        double padding = Double.parseDouble(lines.get("padding_efficiency"));
        assertTrue(e2eVsModel > 0 && Double.isFinite(e2eVsModel), out);
        assertTrue(batchedVsPerRecord > 0 && Double.isFinite(batchedVsPerRecord), out);
        assertTrue(padding > 0.5 && padding <= 1.0, out);

        String histogram = lines.get("batch_size_histogram");
        long events = Arrays.stream(histogram.split(",")).mapToLong(e -> {
            String[] sizeCount = e.split(":");
            return Long.parseLong(sizeCount[0]) * Long.parseLong(sizeCount[1]);
        }).sum();
        assertTrue(Math.abs(events - 256) <= 16, "batches hold the 256 events: " + histogram);
        assertTrue(Arrays.stream(histogram.split(",")).allMatch(e -> Integer.parseInt(e.split(":")[0]) <= 32),
                "no batch over batch.max.records: " + histogram);

        double shares = Arrays.stream(lines.get("cpu_split").split(","))
                .mapToDouble(e -> Double.parseDouble(e.split(":")[1])).sum();
        assertEquals(1.0, shares, 0.01, lines.get("cpu_split"));
        assertTrue(lines.get("cpu_split").startsWith("tokenize:"), lines.get("cpu_split"));

        double meanRun = Double.parseDouble(lines.get("model_run_mean_sequences"));
        assertTrue(meanRun >= 1 && meanRun <= 32, "sequences per model run: " + meanRun);
        double pacedRun = Double.parseDouble(lines.get("latency_model_run_mean_sequences"));
        assertTrue(pacedRun >= 1 && pacedRun <= 32, "sequences per model run, paced: " + pacedRun);
        assertEquals(1.0, report.perRecord().meanModelRun(), 1e-12, "per record: one sequence per model run");
        assertEquals(1.0, report.perRecord().latencyMeanModelRun(), 1e-12, "per record, paced: one sequence per run");
        assertEquals(50, report.batched().result().latencies().ratePerSecond(), 1e-9, "paced at --latency-rate");
        assertEquals(50, report.perRecord().result().latencies().ratePerSecond(), 1e-9, "paced at --latency-rate");
        assertTrue(lines.get("latency_ms end_to_end rate_per_s").startsWith("50.0 "), out);

        assertEquals(1, report.perRecord().result().batchSizes().batches().size(), "per record: batches of 1 only");
        assertTrue(report.perRecord().result().batchSizes().batches().containsKey(1));
        assertTrue(report.batched().result().latencies().count() > 0, "latency measured");
        assertTrue(out.contains("| model only"), out);
        assertTrue(out.toLowerCase(Locale.ROOT).contains("goal end_to_end/model_only>=0.9 "), out);
    }

    /**
     * With a simulated device, every mode runs on it and the report says so, with the device's busy fraction and
     * the service's CPU per event. Sane values only: busy time comes from the formula, not from timings.
     */
    @Test
    void simulatedDeviceRunPrintsBusyFractionAndServiceCpu() throws Exception {
        BenchOptions options = BenchOptions.builder(TestModels.bundle(TestModels.SENTIMENT),
                        TestModels.bundle(TestModels.NER))
                .texts(64).seconds(0.2).warmupSeconds(0.1).endToEndSeconds(1).latencySeconds(0)
                // a 5 ms floor keeps the device busy over several commits of results (100 ms apart under
                // exactly_once_v2), so the saturation window, timed by results, sees its busy time
                .events(1024).baselineEvents(64).simulatedDevice(SimulatedDevice.Spec.parse("floor_ms=5,us_per_token=0.5"))
                .build();
        BenchReport report = Benchmark.run(options, ServiceTargets::openEngine, ServiceTargets::service,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        Map<String, String> lines = new HashMap<>();
        out.lines().filter(l -> l.contains("=") && !l.startsWith("|") && !l.startsWith("-") && !l.startsWith("*"))
                .forEach(l -> lines.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));

        assertTrue(out.startsWith("# Enricher benchmark\n\n**Simulated device (floor_ms=5,us_per_token=0.5)"), out);
        assertEquals("floor_ms=5,us_per_token=0.5", lines.get("simulated_device"), out);
        double busy = Double.parseDouble(lines.get("device_busy_fraction"));
        assertTrue(busy > 0 && busy <= 1.05, "device busy fraction: " + busy);
        double serviceCpu = Double.parseDouble(lines.get("service_cpu_us_per_event"));
        assertTrue(serviceCpu > 0 && Double.isFinite(serviceCpu), "service CPU per event: " + serviceCpu);
        double processCpu = report.batched().result().cpuMsPerEvent() * 1000;
        assertTrue(serviceCpu < processCpu * 1.05, "the service's CPU is part of the process's: " + serviceCpu
                + " vs " + processCpu);
        assertTrue(Double.parseDouble(lines.get("ratio batched/per_record")) > 0, out);
        assertTrue(lines.containsKey("events_per_s model_only"), out);
    }

    /**
     * Every send of the bench producer is refused (the input topic takes no record this large): the run stops at
     * once, naming the failure and the count, instead of waiting for results that cannot come.
     */
    @Test
    void aFailedSendStopsTheRunWithAClearMessage() throws Exception {
        BenchOptions options = BenchOptions.builder(TestModels.bundle(TestModels.SENTIMENT),
                TestModels.bundle(TestModels.NER)).texts(16).build();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            EndToEndBench e2e = new EndToEndBench(broker.bootstrapServers(), topics -> {
                List<NewTopic> created = new ArrayList<>();
                for (String t : topics) {
                    NewTopic topic = new NewTopic(t, 1, (short) 1);
                    created.add(t.endsWith("-in") ? topic.configs(Map.of("max.message.bytes", "64")) : topic);
                }
                try {
                    admin.createTopics(created).all().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, options, List.of("Angela Merkel visited Paris on Tuesday and met the mayor."),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Optional.empty(),
                    ServiceTargets::service);
            long start = System.nanoTime();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> e2e.run("end_to_end", "end to end", 32, 20, 200, 1, 1000));
            assertTrue(System.nanoTime() - start < 60_000_000_000L, "stopped within a minute");
            assertTrue(e.getMessage().matches("(?s)end_to_end: \\d+ of \\d+ sends of the bench producer to "
                    + "enricher-end-to-end-\\w+-in failed .*first failure: "
                    + "org\\.apache\\.kafka\\.common\\.errors\\.RecordTooLargeException: .*"), e.getMessage());
            assertInstanceOf(RecordTooLargeException.class, e.getCause());
        }
    }
}
