package dev.enricher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.TestModels;
import dev.enricher.devtools.DevMain;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.LabelScore;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.Logits;
import dev.enricher.tokenize.TokenWindow;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The simulated accelerator of the benchmark: its option, its formula, its logits and its one-at-a-time runs. */
class SimulatedDeviceTest {

    @Test
    void parsesTheOptionWithDefaultsForMissingKeys() {
        assertEquals(new SimulatedDevice.Spec(3, 1.0), SimulatedDevice.Spec.parse("floor_ms=3,us_per_token=1.0"));
        assertEquals(new SimulatedDevice.Spec(0, 0), SimulatedDevice.Spec.parse(" floor_ms = 0 , us_per_token=0 "));
        assertEquals(new SimulatedDevice.Spec(3, 0.25), SimulatedDevice.Spec.parse("us_per_token=0.25"));
        assertEquals(new SimulatedDevice.Spec(1.5, 1.0), SimulatedDevice.Spec.parse("floor_ms=1.5"));
        assertEquals(SimulatedDevice.Spec.H200_BERT_BASE_FP16, SimulatedDevice.Spec.parse(""));
        SimulatedDevice.Spec spec = new SimulatedDevice.Spec(2.5, 0.125);
        assertEquals(spec, SimulatedDevice.Spec.parse(spec.format()), "format reads back");
    }

    @Test
    void badValuesNameTheOptionAndThePartAtFault() {
        for (String bad : List.of("floor_ms=abc", "floor_ms=-1", "us_per_token=NaN", "us_per_token=Infinity",
                "floor=3", "floor_ms", "floor_ms=3,", "floor_ms=3,floor_ms=4", "floor_ms=3;us_per_token=1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SimulatedDevice.Spec.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--simulated-device: "), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SimulatedDevice.Spec.parse("floor_ms=x"))
                .getMessage().contains("floor_ms must be a number, found 'x'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SimulatedDevice.Spec.parse("floor_ms=-1"))
                .getMessage().contains("floor_ms must be a finite number at least 0, got -1.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SimulatedDevice.Spec.parse("speed=9"))
                .getMessage().contains("expected floor_ms=<ms>,us_per_token=<µs>"));
    }

    @Test
    void badOptionOnTheCommandLineIsAUsageError() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = DevMain.commandLine().execute("bench", "--models", TestModels.modelsDir().toString(), "--bundles",
                    "tiny", "--simulated-device", "floor_ms=3,us_per_token=fast");
        } finally {
            System.setErr(err);
        }
        String message = captured.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, message);
        assertTrue(message.contains("bench: --simulated-device: us_per_token must be a number, found 'fast'"), message);
    }

    @Test
    void sleepIsTheFloorOrThePerTokenTimeOfPaddedTokens() {
        SimulatedDevice.Spec h200 = SimulatedDevice.Spec.H200_BERT_BASE_FP16;
        assertEquals(3_000_000, h200.nanos(1));
        assertEquals(3_000_000, h200.nanos(3_000), "32 x 64 padded tokens stay on the floor");
        assertEquals(8_192_000, h200.nanos(128 * 64));
        assertEquals(0, new SimulatedDevice.Spec(0, 0).nanos(1_000_000));
        assertEquals(1_500_000, new SimulatedDevice.Spec(0, 0.5).nanos(3_000));
    }

    @Test
    void zeroLogitsHaveTheBundlesShapeAndFlowThroughPostProcessing() {
        BenchOptions options = BenchOptions.builder(TestModels.bundle(TestModels.SENTIMENT),
                TestModels.bundle(TestModels.NER)).build();
        SimulatedDevice device = new SimulatedDevice(new SimulatedDevice.Spec(0, 0));
        try (EnrichmentEngine engine = BenchPartsTest.openEngine(options)) {
            device.install(engine);
            var classifier = engine.classifier().orElseThrow();
            var ner = engine.ner().orElseThrow();
            assertEquals(device, classifier.modelRun());
            assertEquals(device, ner.modelRun());

            List<TokenWindow> windows = ner.tokenizer().encodeAll(List.of("Angela Merkel visited Paris on Tuesday.",
                    "Hi")).stream().map(t -> t.first()).toList();
            int longest = Math.max(windows.get(0).length(), windows.get(1).length());
            Logits tokens = device.run(ner.bundle(), windows);
            assertEquals(new Logits(tokens.data(), 2, longest, 9), tokens, "[batch, padded length, labels]");
            assertEquals(2 * longest * 9, tokens.data().length);
            Logits classes = device.run(classifier.bundle(), windows);
            assertEquals(new Logits(classes.data(), 2, 1, 3), classes, "[batch, labels]");
            assertEquals(2 * 3, classes.data().length);

            List<String> texts = List.of("Angela Merkel visited Paris on Tuesday.", "ok",
                    "ERROR 2024-05-01 disk /dev/sda1 full on host db-7, 3 retries left");
            List<EnrichmentEngine.Event> events = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                events.add(new EnrichmentEngine.Event("e-" + i, texts.get(i), "t", 0, i, 0, null, null, 0));
            }
            long runsBefore = device.runs();
            List<EnrichmentEngine.Outcome> outcomes = engine.enrich(events, System.currentTimeMillis());
            assertEquals(texts.size(), outcomes.size());
            for (EnrichmentEngine.Outcome o : outcomes) {
                assertNull(o.failure());
                EnrichedEvent e = o.event();
                assertEquals(1, e.getClassifications().size());
                List<LabelScore> scores = e.getClassifications().get(0).getScores();
                assertEquals(3, scores.size());
                for (LabelScore s : scores) {
                    assertEquals(1 / 3.0, s.getScore(), 1e-6, "softmax of zero logits");
                }
                assertEquals(0, e.getEntities().size(), "every token is label 0, O");
            }
            assertTrue(device.runs() - runsBefore >= 2, "both models ran on the device");
        }
    }

    @Test
    void concurrentRunsTakeTheDeviceOneAfterAnother() throws Exception {
        long runNanos = TimeUnit.MILLISECONDS.toNanos(40);
        SimulatedDevice device = new SimulatedDevice(new SimulatedDevice.Spec(40, 0));
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> ends = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < threads; i++) {
                ends.add(pool.submit(() -> {
                    go.await();
                    device.occupy(runNanos);
                    return System.nanoTime();
                }));
            }
            go.countDown();
            List<Long> returned = new ArrayList<>();
            for (Future<Long> f : ends) {
                returned.add(f.get(30, TimeUnit.SECONDS) - start);
            }
            Collections.sort(returned);
            for (int i = 0; i < threads; i++) {
                assertTrue(returned.get(i) >= (i + 1) * runNanos, "run " + (i + 1) + " of " + threads
                        + " returned after " + returned.get(i) / 1e6 + " ms: runs overlapped on the device");
            }
            assertEquals(threads * runNanos, device.busyNanos(), "busy time from the formula");
            assertEquals(threads, device.runs());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anInterruptedRunReturnsAndKeepsTheFlag() {
        SimulatedDevice device = new SimulatedDevice(new SimulatedDevice.Spec(60_000, 0));
        Thread.currentThread().interrupt();
        try {
            long start = System.nanoTime();
            device.occupy(TimeUnit.SECONDS.toNanos(60));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "returned on the interrupt");
            assertTrue(Thread.currentThread().isInterrupted(), "interrupt flag kept");
        } finally {
            Thread.interrupted();
        }
    }
}
