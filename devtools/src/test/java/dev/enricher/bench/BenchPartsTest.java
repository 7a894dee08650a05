package dev.enricher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.devtools.ServiceTargets;
import dev.enricher.devtools.DevMain;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.BatchLimits;
import dev.enricher.metrics.ServiceMetrics;
import dev.enricher.tokenize.Tokenized;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.junit.jupiter.api.Test;

/** The parts of the benchmark that need no broker, on the tiny bundles; correctness only, no timing. */
class BenchPartsTest {

    private static BenchOptions quick() {
        return BenchOptions.builder(TestModels.bundle(TestModels.SENTIMENT), TestModels.bundle(TestModels.NER))
                .texts(48).seconds(0.05).warmupSeconds(0.01).build();
    }

    @Test
    void batchSizesCountBatchesFromEvents() {
        BatchSizes sizes = new BatchSizes();
        for (int i = 0; i < 64; i++) {
            sizes.addEvent(32);
        }
        sizes.addEvent(1);
        sizes.addBatch(4);
        assertEquals("1:1,4:1,32:2", sizes.format());
        assertEquals(69, sizes.events());
        assertEquals(69 / 4.0, sizes.meanBatch(), 1e-9);
        assertEquals("none", new BatchSizes().format());
    }

    @Test
    void latenciesUseNearestRank() {
        long[] ms = new long[100];
        for (int i = 0; i < 100; i++) {
            ms[i] = 100 - i;
        }
        Latencies l = Latencies.of(ms, 10);
        assertEquals(50, l.p50());
        assertEquals(95, l.p95());
        assertEquals(99, l.p99());
        assertEquals(100, l.max());
        assertEquals(0, Latencies.of(new long[0], 1).p99());
    }

    @Test
    void cpuSplitSharesAddUpToOne() {
        String line = new CpuSplit(1, 6, 1, 2).format();
        assertEquals("tokenize:0.100,infer:0.600,postprocess:0.100,kafka_avro:0.200", line);
    }

    @Test
    void threadsAreGroupedByName() {
        String app = "enricher-end-to-end-1234abcd";
        assertEquals(EndToEndBench.STREAM_THREAD_CPU, EndToEndBench.category(app + "-5f0e-StreamThread-1", app));
        assertEquals(EndToEndBench.STREAMS_OTHER_CPU,
                EndToEndBench.category("kafka-producer-network-thread | " + app + "-5f0e-StreamThread-1-producer", app));
        assertEquals(EndToEndBench.BENCH_CPU, EndToEndBench.category("bench-reader-x", app));
        assertEquals(EndToEndBench.INFERENCE_THREAD_CPU, EndToEndBench.category("enricher-inference-0", app));
        assertEquals(EndToEndBench.BENCH_CPU, EndToEndBench.category("kafka-producer-network-thread | bench-producer-x", app));
        assertEquals(EndToEndBench.BROKER_CPU, EndToEndBench.category("data-plane-kafka-request-handler-0", app));
        assertEquals(EndToEndBench.STREAMS_OTHER_CPU, EndToEndBench.category("micrometer-kafka-metrics", app));
        assertEquals(EndToEndBench.BROKER_CPU, EndToEndBench.category("kafka-admin-client-thread | embedded-broker-admin", app));
    }

    @Test
    void textsStayWithinTheTokenRange() {
        try (EnrichmentEngine engine = openEngine(quick())) {
            var tokenizer = engine.ner().orElseThrow().tokenizer();
            List<String> texts = BenchTexts.generate(200, 7, tokenizer, 10, 64);
            assertEquals(200, texts.size());
            assertEquals(texts, BenchTexts.generate(200, 7, tokenizer, 10, 64), "deterministic for a seed");
            for (Tokenized t : tokenizer.encodeAll(texts)) {
                int n = t.first().length();
                assertTrue(n >= 10 && n <= 64 && !t.truncated(), "tokens: " + n);
            }
        }
    }

    @Test
    void inProcessModesMeasureEveryText() {
        BenchOptions options = quick();
        try (EnrichmentEngine engine = openEngine(options)) {
            List<String> texts = BenchTexts.generate(options.texts(), 1, engine.ner().orElseThrow().tokenizer(), 10, 64);
            InferenceBench bench = new InferenceBench(engine, texts, options, new BatchLimits(32, 8192, 0.9));
            ModeResult modelOnly = bench.modelOnly();
            ModeResult perText = bench.modelOnlyPerRecord();
            InferenceBench.EngineRun run = bench.engine();
            ModeResult perEvent = bench.enginePerRecord();
            for (ModeResult r : List.of(modelOnly, perText, run.result(), perEvent)) {
                assertTrue(r.events() > 0 && r.events() % texts.size() == 0, r.mode() + ": whole passes, " + r.events());
                assertTrue(r.eventsPerSecond() > 0 && Double.isFinite(r.eventsPerSecond()), r.mode());
                assertTrue(r.paddingEfficiency() > 0.5 && r.paddingEfficiency() <= 1.0, r.mode() + " padding");
            }
            assertTrue(modelOnly.meanBatch() > 1 && modelOnly.meanBatch() <= 32);
            CpuSplit split = run.split();
            assertTrue(split.tokenize() > 0 && split.infer() > 0 && split.postprocess() >= 0, split.toString());
            assertTrue(run.modelRuns().events() > 0, "model runs recorded");
            assertEquals(2L * run.result().events(), run.modelRuns().events(),
                    "every measured event ran once through each model");
        }
    }

    @Test
    void missingBundleIsAUsageError() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = DevMain.commandLine().execute("bench", "--models", "/nonexistent-models", "--bundles", "minilm");
            assertEquals(2, code);
        } finally {
            System.setErr(err);
        }
        assertTrue(captured.toString(StandardCharsets.UTF_8).contains("build_minilm_bundles.sh"));
        assertFalse(captured.toString(StandardCharsets.UTF_8).isBlank());
    }

    @Test
    void sendsStopTheRunAtTheFirstFailureAndSayHowManyFailed() {
        Sends sends = new Sends("end_to_end", "bench-in");
        for (int i = 0; i < 4; i++) {
            sends.sent();
        }
        sends.onCompletion(null, null);
        sends.check();
        OutOfOrderSequenceException first = new OutOfOrderSequenceException("sequence 7 out of order");
        sends.onCompletion(null, first);
        sends.onCompletion(null, new OutOfOrderSequenceException("sequence 8 out of order"));
        IllegalStateException e = assertThrows(IllegalStateException.class, sends::check);
        assertSame(first, e.getCause());
        assertEquals(2, sends.failed());
        assertTrue(e.getMessage().startsWith("end_to_end: 2 of 4 sends of the bench producer to bench-in failed (1 "
                + "acknowledged, 1 not completed yet); first failure: "
                + "org.apache.kafka.common.errors.OutOfOrderSequenceException: sequence 7 out of order"), e.getMessage());
    }

    @Test
    void resultWaitReturnsWhenAllResultsCame() throws Exception {
        AtomicInteger count = new AtomicInteger();
        ResultWait.await("w", 3, count::incrementAndGet, limits(5_000, 5_000, 5_000), () -> { }, () -> "s");
        assertEquals(3, count.get());
    }

    @Test
    void resultWaitStopsAtTheFirstFailedCheck() {
        AtomicInteger checks = new AtomicInteger();
        long start = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ResultWait.await("w", 10,
                () -> 0, limits(60_000, 60_000, 60_000), () -> {
                    if (checks.incrementAndGet() == 3) {
                        throw new IllegalStateException("a send failed");
                    }
                }, () -> "s"));
        assertEquals("a send failed", e.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "stopped long before the bound");
    }

    @Test
    void resultWaitStopsWhenResultsStall() {
        AtomicInteger polls = new AtomicInteger();
        // two results, then none
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ResultWait.await("end_to_end: "
                + "saturation results", 10, () -> Math.min(2, polls.incrementAndGet()), limits(60_000, 60_000, 300),
                () -> { }, () -> "service state RUNNING"));
        assertEquals("end_to_end: saturation results: no new result for 0.3 s, 2 of 10 so far (service state RUNNING)",
                e.getMessage());
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> ResultWait.await("w", 10,
                () -> 0, limits(60_000, 300, 60_000), () -> { }, () -> "s"));
        assertTrue(none.getMessage().startsWith("w: no new result"), none.getMessage());
    }

    @Test
    void resultWaitIsBoundedEvenWhileResultsTrickle() {
        AtomicInteger polls = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ResultWait.await("w", 1_000_000,
                polls::incrementAndGet, limits(400, 60_000, 60_000), () -> { }, () -> "s"));
        assertTrue(e.getMessage().startsWith("w: only "), e.getMessage());
    }

    @Test
    void waitsForResultsAreBoundedByTheExpectedRate() {
        // 10,240 events at an engine rate of 50/s: start-up plus five times the expected duration, not 20,480 s
        ResultWait.Limits saturation = EndToEndBench.saturationLimits(10_240, 50);
        assertEquals(Duration.ofSeconds(120 + 1024), saturation.bound());
        assertEquals(EndToEndBench.STARTUP, saturation.firstResult());
        assertEquals(EndToEndBench.STALL, saturation.stall());
        // 690 paced events, saturation 46/s: a minute plus twice the backlog's drain time
        assertEquals(Duration.ofSeconds(60 + 30), EndToEndBench.latencyLimits(690, 46).bound());
        assertThrows(IllegalArgumentException.class, () -> EndToEndBench.saturationLimits(10, 0));
        assertThrows(IllegalArgumentException.class, () -> EndToEndBench.latencyLimits(10, Double.NaN));
    }

    @Test
    void latencyRateIsValidated() {
        assertEquals(0, quick().latencyRate());
        assertEquals(23.5, BenchOptions.builder(TestModels.bundle(TestModels.SENTIMENT), TestModels.bundle(TestModels.NER))
                .latencyRate(23.5).build().latencyRate());
        for (double bad : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> BenchOptions.builder(
                    TestModels.bundle(TestModels.SENTIMENT), TestModels.bundle(TestModels.NER)).latencyRate(bad).build());
        }
    }

    @Test
    void modelRunTotalsParseAnExposition() {
        String text = String.join("\n",
                "# HELP enricher_inference_seconds Time of one model run",
                "# TYPE enricher_inference_seconds histogram",
                "enricher_inference_seconds_bucket{model=\"ner\",le=\"0.001\"} 3",
                "enricher_inference_seconds_count{model=\"classifier\"} 4",
                "enricher_inference_seconds_count{model=\"ner\"} 6",
                "enricher_inference_seconds_sum{model=\"classifier\"} 0.5",
                "enricher_inference_seconds_sum{model=\"ner\"} 1.25",
                "enricher_padded_tokens_count{model=\"ner\"} 6",
                "enricher_padded_tokens_sum{model=\"classifier\"} 400.0",
                "enricher_padded_tokens_sum{model=\"ner\"} 600.0",
                "enricher_real_tokens_total{model=\"classifier\"} 380.0",
                "enricher_real_tokens_total{model=\"ner\"} 570.0",
                "enricher_inference_seconds_countx 99",
                "");
        ModelRunTotals t = ModelRunTotals.parse(text);
        assertEquals(new ModelRunTotals(10, 1.75, 1000, 950), t);
        assertEquals(0.95, t.paddingEfficiency(), 1e-12);
        assertEquals(3.0, t.meanSequences(30), 1e-12);
        ModelRunTotals d = t.minus(new ModelRunTotals(4, 0.75, 500, 450));
        assertEquals(new ModelRunTotals(6, 1.0, 500, 500), d);
        assertTrue(Double.isNaN(new ModelRunTotals(0, 0, 0, 0).meanSequences(5)));
        assertThrows(IllegalArgumentException.class, () -> ModelRunTotals.parse("# nothing\nother_metric 1\n"));
    }

    @Test
    void modelRunTotalsMatchWhatTheServiceMetricsCounted() {
        try (EnrichmentEngine engine = openEngine(quick()); ServiceMetrics metrics = new ServiceMetrics()) {
            metrics.bindEngine(engine);
            List<String> texts = BenchTexts.generate(40, 3, engine.ner().orElseThrow().tokenizer(), 10, 64);
            List<EnrichmentEngine.Event> events = new ArrayList<>();
            long now = System.currentTimeMillis();
            for (int i = 0; i < texts.size(); i++) {
                events.add(new EnrichmentEngine.Event("e-" + i, texts.get(i), "t", 0, i, now, null, null, now));
            }
            engine.enrich(events.subList(0, 16), now);
            engine.enrich(events.subList(16, 40), now);
            ModelRunTotals t = ModelRunTotals.parse(metrics.scrape());
            long padded = engine.classifier().orElseThrow().paddedTokens() + engine.ner().orElseThrow().paddedTokens();
            long real = engine.classifier().orElseThrow().realTokens() + engine.ner().orElseThrow().realTokens();
            assertEquals(padded, t.paddedTokens(), 1e-6);
            assertEquals(real, t.realTokens(), 1e-6);
            assertTrue(t.runs() >= 4 && t.runs() <= 80, "runs: " + t.runs());
            assertTrue(t.seconds() > 0, t.toString());
            double mean = t.meanSequences(2L * texts.size());
            assertTrue(mean >= 1 && mean <= 32, "sequences per run: " + mean);
        }
    }

    private static ResultWait.Limits limits(long boundMs, long firstMs, long stallMs) {
        return new ResultWait.Limits(Duration.ofMillis(boundMs), Duration.ofMillis(firstMs), Duration.ofMillis(stallMs));
    }

    static EnrichmentEngine openEngine(BenchOptions options) {
        Map<String, Object> props = Benchmark.engineConfig(options, options.batchMaxRecords());
        props.put(EnricherConfig.INPUT_TOPICS, "bench");
        return ServiceTargets.openEngine(new EnricherConfig(props));
    }
}
