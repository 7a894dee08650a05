package dev.enricher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.app.EnricherServiceAccess;
import dev.enricher.app.Main;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.BatchLimits;
import dev.enricher.tokenize.Tokenized;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
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
        assertEquals(EndToEndBench.BENCH_CPU, EndToEndBench.category("kafka-producer-network-thread | bench-producer-x", app));
        assertEquals(EndToEndBench.BROKER_CPU, EndToEndBench.category("data-plane-kafka-request-handler-0", app));
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
            int code = Main.commandLine().execute("bench", "--models", "/nonexistent-models", "--bundles", "minilm");
            assertEquals(2, code);
        } finally {
            System.setErr(err);
        }
        assertTrue(captured.toString(StandardCharsets.UTF_8).contains("build_minilm_bundles.sh"));
        assertFalse(captured.toString(StandardCharsets.UTF_8).isBlank());
    }

    static EnrichmentEngine openEngine(BenchOptions options) {
        Map<String, Object> props = Benchmark.engineConfig(options, options.batchMaxRecords());
        props.put(EnricherConfig.INPUT_TOPICS, "bench");
        return EnricherServiceAccess.openEngine(new EnricherConfig(props));
    }
}
