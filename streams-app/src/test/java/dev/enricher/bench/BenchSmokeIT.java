package dev.enricher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.app.EnricherServiceAccess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
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
                .events(256).baselineEvents(128).build();
        BenchReport report = Benchmark.run(options, EnricherServiceAccess::openEngine,
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

        assertEquals(1, report.perRecord().result().batchSizes().batches().size(), "per record: batches of 1 only");
        assertTrue(report.perRecord().result().batchSizes().batches().containsKey(1));
        assertTrue(report.batched().result().latencies().count() > 0, "latency measured");
        assertTrue(out.contains("| model only"), out);
        assertTrue(out.toLowerCase(Locale.ROOT).contains("goal end_to_end/model_only>=0.9 "), out);
    }
}
