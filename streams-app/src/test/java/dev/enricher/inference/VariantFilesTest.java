package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.enricher.TestModels;
import dev.enricher.avro.ModelProvenance;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.inference.InferenceSettings.Device;
import dev.enricher.inference.InferenceSettings.Precision;
import dev.enricher.metrics.ServiceMetrics;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Export folders as the tools make them: {@code model.onnx} or {@code onnx/model.onnx}, and the
 * {@code model_quantized.onnx} / {@code model_fp16.onnx} variants beside it, chosen by device and precision and
 * named in the provenance. Fixtures: {@code variants/} (made by {@code models/tools/make_variants.py} from the tiny
 * bundles), copied with the tiny bundles' {@code config.json} and {@code tokenizer.json} into temporary folders.
 */
class VariantFilesTest {
    static final InferenceSettings EXACT = InferenceSettings.cpu(1);
    static final InferenceSettings FAST = new InferenceSettings(Device.CPU, 0, false, 1, false, Precision.FAST);
    /**
     * fp16 logits against fp32 logits on the tiny bundles: fp16 keeps 11 significant bits (relative error
     * 4.9e-4 per rounding); over two layers the tiny models' logits (|x| < 10) move by up to ~2e-2.
     */
    static final double FP16_LOGIT_TOLERANCE = 5e-2;
    static final List<String> TEXTS = List.of("Barack Obama met Angela Merkel in Berlin",
            "Have a great day everyone!!!", "WARN disk /var/lib/kafka is 91% full on broker-3",
            "東京で会いましょう 🎉", "I will find you and you will regret it");

    @TempDir
    Path temp;

    @Test
    void theOnnxFolderLayoutLoadsAndRunsAsTheRootLayout() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("onnx/model.onnx", fp32(TestModels.SENTIMENT)));
        try (ModelBundle nested = ModelBundle.load(dir, EXACT);
             ModelBundle root = ModelBundle.load(TestModels.bundle(TestModels.SENTIMENT), EXACT)) {
            assertEquals("onnx/model.onnx", nested.file());
            assertEquals("model.onnx", root.file());
            assertEquals(TestModels.sha256(dir.resolve("onnx/model.onnx")), nested.sha256());
            assertEquals(root.sha256(), nested.sha256(), "the same file");
            assertEquals("exact", nested.precision());
            List<TokenWindow> windows = windows(root, TEXTS);
            assertEquals(List.of(root.run(windows).data().length), List.of(nested.run(windows).data().length));
            assertEquals(0.0, maxDifference(root.run(windows), nested.run(windows)));
        }
    }

    @Test
    void withBothLayoutsTheBundleFolderWins() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("model.onnx", fp32(TestModels.SENTIMENT),
                "onnx/model.onnx", fp32(TestModels.SENTIMENT),
                "onnx/model_quantized.onnx", variant(TestModels.SENTIMENT, ModelFiles.QUANTIZED)));
        assertEquals(Optional.of(dir.resolve("onnx")), ModelFiles.find(dir).ignored());
        try (ModelBundle bundle = ModelBundle.load(dir, FAST)) {
            assertEquals("model.onnx", bundle.file(), "onnx/'s quantized file is not used");
            assertEquals("exact", bundle.precision(), "fp32 on CPU is exact even when fast is asked for");
        }
    }

    @Test
    void exactRunsTheFp32FileWhateverVariantsLieBesideIt() throws Exception {
        Path dir = withAllVariants(TestModels.SENTIMENT, "onnx/");
        try (ModelBundle bundle = ModelBundle.load(dir, EXACT)) {
            assertEquals("onnx/model.onnx", bundle.file());
            assertEquals(TestModels.sha256(dir.resolve("onnx/model.onnx")), bundle.sha256());
            assertEquals("exact", bundle.precision());
            assertEquals("cpu", bundle.device());
        }
    }

    @Test
    void fastOnCpuRunsTheQuantizedFileAndTheProvenanceSaysSo() throws Exception {
        Path dir = withAllVariants(TestModels.SENTIMENT, "");
        ClassifierPipeline classifier = ClassifierPipeline.open(dir, FAST, new SequenceClassification.Options(
                ClassificationFunction.DEFAULT, 0, SequenceClassification.LongText.TRUNCATE), 0, BatchLimits.ofSize(8));
        try (EnrichmentEngine engine = new EnrichmentEngine(
                List.of(new EnrichmentEngine.Classifier("sentiment", classifier, 0.5, Map.of())), Optional.empty(),
                new EnrichmentEngine.Settings(false, "test"))) {
            assertEquals("model_quantized.onnx", classifier.bundle().file());
            List<ModelProvenance> provenance = engine.provenance();
            assertEquals(1, provenance.size());
            ModelProvenance p = provenance.get(0);
            System.out.println("fast on CPU: " + p);
            assertEquals("model_quantized.onnx", p.getFile());
            assertEquals(TestModels.sha256(dir.resolve("model_quantized.onnx")), p.getSha256());
            assertFalse(p.getSha256().equals(TestModels.sha256(dir.resolve("model.onnx"))));
            assertEquals("fast", p.getPrecisionMode());
            assertEquals("cpu", p.getDevice());
            assertEquals(TEXTS.size(), classifier.predict(TEXTS).size());
            try (ServiceMetrics metrics = new ServiceMetrics()) {
                metrics.bindEngine(engine);
                List<String> info = metrics.scrape().lines().filter(l -> l.startsWith("enricher_model_info{")).toList();
                assertEquals(1, info.size(), metrics.scrape());
                assertTrue(info.get(0).contains("file=\"model_quantized.onnx\""), info.get(0));
                assertTrue(info.get(0).contains("precision=\"fast\""), info.get(0));
                assertTrue(info.get(0).contains("sha256=\"" + p.getSha256() + "\""), info.get(0));
            }
        }
    }

    @Test
    void fastOnCpuWithoutAQuantizedFileRunsTheFp32FileExactly() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("model.onnx", fp32(TestModels.SENTIMENT),
                "model_fp16.onnx", variant(TestModels.SENTIMENT, ModelFiles.FP16)));
        try (ModelBundle bundle = ModelBundle.load(dir, FAST)) {
            assertEquals("model.onnx", bundle.file(), "fp16 never runs on CPU");
            assertEquals("exact", bundle.precision());
        }
    }

    @Test
    void float16LogitsAreWidenedToTheFp32ModelsWithinTolerance() throws Exception {
        Path fp16 = variant(TestModels.SENTIMENT, ModelFiles.FP16);
        try (OrtSession session = OrtEnvironment.getEnvironment().createSession(fp16.toString())) {
            assertEquals(OnnxJavaType.FLOAT16, ((TensorInfo) session.getOutputInfo().get("logits").getInfo()).type,
                    "the fixture has float16 logits");
        }
        // As an fp16 optimum export names it: model.onnx with float16 logits, run on CPU.
        Path dir = bundle(TestModels.SENTIMENT, Map.of("model.onnx", fp16));
        assertFp16Parity(dir, TestModels.SENTIMENT, 3);
    }

    @Test
    void fp16WithFloat32LogitsRunsTokenClassification() throws Exception {
        Path fp16 = variant(TestModels.NER, ModelFiles.FP16);
        try (OrtSession session = OrtEnvironment.getEnvironment().createSession(fp16.toString())) {
            assertEquals(OnnxJavaType.FLOAT, ((TensorInfo) session.getOutputInfo().get("logits").getInfo()).type,
                    "the fixture keeps float32 logits (keep_io_types)");
        }
        Path dir = bundle(TestModels.NER, Map.of("model.onnx", fp16));
        assertFp16Parity(dir, TestModels.NER, 9);
    }

    private void assertFp16Parity(Path dir, String reference, int labels) throws Exception {
        try (ModelBundle half = ModelBundle.load(dir, EXACT);
             ModelBundle full = ModelBundle.load(TestModels.bundle(reference), EXACT)) {
            List<TokenWindow> windows = windows(full, TEXTS);
            Logits expected = full.run(windows);
            Logits actual = half.run(windows);
            assertEquals(labels, actual.labels());
            assertEquals(expected.data().length, actual.data().length);
            double worst = maxDifference(expected, actual);
            System.out.printf("%s fp16 (%s): max |logit - fp32| %.3e over %d values%n", reference, half.precision(),
                    worst, actual.data().length);
            assertTrue(worst > 0, "fp16 arithmetic differs from fp32 somewhere: the fp16 file ran");
            assertTrue(worst < FP16_LOGIT_TOLERANCE, "max |logit - fp32| " + worst);
        }
    }

    @Test
    void exactWithOnlyAVariantNamesTheFilesAndTheSetting() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("onnx/model_quantized.onnx",
                variant(TestModels.SENTIMENT, ModelFiles.QUANTIZED)));
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir, EXACT));
        System.out.println("exact without model.onnx: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(dir.resolve("onnx/model.onnx").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("inference.precision=exact runs the fp32 model.onnx, which is missing: "
                + "found [model_quantized.onnx]"), e.getMessage());
        assertTrue(e.getMessage().contains("set inference.precision=fast to run model_quantized.onnx on CPU"),
                e.getMessage());
        try (ModelBundle bundle = ModelBundle.load(dir, FAST)) {
            assertEquals("onnx/model_quantized.onnx", bundle.file());
        }
    }

    @Test
    void fastOnCpuWithOnlyTheFp16FileSaysItRunsOnGpusOnly() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("model_fp16.onnx", variant(TestModels.SENTIMENT,
                ModelFiles.FP16)));
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir, FAST));
        System.out.println("fast on CPU, fp16 only: " + e.getMessage());
        assertTrue(e.getMessage().contains("inference.precision=fast on CPU runs model_quantized.onnx or model.onnx, "
                + "found only [model_fp16.onnx] (model_fp16.onnx runs on cuda and tensorrt only)"), e.getMessage());
    }

    @Test
    void unsupportedVariantsAreNamed() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("onnx/model_q4.onnx", fp32(TestModels.SENTIMENT),
                "onnx/model_bnb4.onnx", fp32(TestModels.SENTIMENT)));
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir, FAST));
        System.out.println("unsupported variants: " + e.getMessage());
        assertEquals(dir + ": no model file: looked for model.onnx, model_quantized.onnx, model_fp16.onnx in the "
                + "bundle folder and in its onnx/ folder, found onnx/model_bnb4.onnx, onnx/model_q4.onnx (other "
                + "variants are not supported)", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = Device.class, names = {"CUDA", "TENSORRT"})
    void aGpuRunFallenBackToCpuTakesTheCpusFileNotTheFp16One(Device device) throws Exception {
        Path dir = withAllVariants(TestModels.SENTIMENT, "");
        InferenceSettings settings = new InferenceSettings(device, 0, true, 1, false, Precision.FAST);
        try (ModelBundle bundle = ModelBundle.load(dir, settings)) {
            Assumptions.assumeTrue(bundle.fellBackToCpu(), "a GPU provider loaded here: nothing to fall back from");
            assertEquals("cpu (fallback from " + device.id() + ":0)", bundle.device());
            assertEquals("model_quantized.onnx", bundle.file());
            assertEquals(TestModels.sha256(dir.resolve("model_quantized.onnx")), bundle.sha256());
            assertEquals("fast", bundle.precision());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Device.class, names = {"CUDA", "TENSORRT"})
    void aGpuRunFallenBackToCpuWithoutAQuantizedFileRunsFp32(Device device) throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("model.onnx", fp32(TestModels.SENTIMENT),
                "model_fp16.onnx", variant(TestModels.SENTIMENT, ModelFiles.FP16)));
        InferenceSettings settings = new InferenceSettings(device, 0, true, 1, false, Precision.FAST);
        try (ModelBundle bundle = ModelBundle.load(dir, settings)) {
            Assumptions.assumeTrue(bundle.fellBackToCpu(), "a GPU provider loaded here: nothing to fall back from");
            assertEquals("model.onnx", bundle.file());
            assertEquals("exact", bundle.precision());
        }
    }

    @Test
    void aGpuRunWithOnlyTheFp16FileHasNothingToFallBackTo() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("model_fp16.onnx", variant(TestModels.SENTIMENT,
                ModelFiles.FP16)));
        InferenceSettings settings = new InferenceSettings(Device.CUDA, 0, true, 1, false, Precision.FAST);
        try (ModelBundle bundle = ModelBundle.load(dir, settings)) {
            Assumptions.abort("a GPU provider loaded here (" + bundle.device() + "): no fallback to check");
        } catch (BundleException e) {
            System.out.println("fp16 only, GPU unavailable: " + e.getMessage());
            assertTrue(e.getMessage().startsWith(dir.resolve("model_fp16.onnx") + ": cannot run on cuda:0"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("nothing to fall back to on CPU"), e.getMessage());
        }
    }

    @Test
    void fastOnAGpuNeverTakesTheQuantizedFile() throws Exception {
        Path dir = bundle(TestModels.SENTIMENT, Map.of("model_quantized.onnx", variant(TestModels.SENTIMENT,
                ModelFiles.QUANTIZED)));
        InferenceSettings settings = new InferenceSettings(Device.CUDA, 0, true, 1, false, Precision.FAST);
        BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir, settings));
        assertTrue(e.getMessage().contains("inference.precision=fast on a GPU runs model_fp16.onnx or model.onnx, "
                + "found only [model_quantized.onnx] (model_quantized.onnx runs on CPU only)"), e.getMessage());
    }

    private static List<TokenWindow> windows(ModelBundle bundle, List<String> texts) throws IOException {
        try (TextTokenizer tokenizer = TextTokenizer.load(bundle.tokenizerFile(), 64, 0)) {
            List<Tokenized> encoded = tokenizer.encodeAll(texts);
            assertEquals(texts.size(), encoded.size());
            return encoded.stream().map(Tokenized::first).toList();
        }
    }

    private static double maxDifference(Logits a, Logits b) {
        assertEquals(a.data().length, b.data().length);
        double worst = 0;
        for (int i = 0; i < a.data().length; i++) {
            worst = Math.max(worst, Math.abs(a.data()[i] - b.data()[i]));
        }
        return worst;
    }

    /** A bundle folder named like {@code reference} with its config and tokenizer and the given model files. */
    private Path bundle(String reference, Map<String, Path> files) throws IOException {
        Path dir = temp.resolve(reference);
        Files.createDirectories(dir);
        for (String name : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(TestModels.bundle(reference).resolve(name), dir.resolve(name));
        }
        for (Map.Entry<String, Path> f : files.entrySet()) {
            Path target = dir.resolve(f.getKey());
            Files.createDirectories(target.getParent());
            Files.copy(f.getValue(), target);
        }
        return dir;
    }

    private Path withAllVariants(String reference, String prefix) throws Exception {
        return bundle(reference, Map.of(prefix + "model.onnx", fp32(reference),
                prefix + ModelFiles.QUANTIZED, variant(reference, ModelFiles.QUANTIZED),
                prefix + ModelFiles.FP16, variant(reference, ModelFiles.FP16)));
    }

    private static Path fp32(String bundle) {
        return TestModels.bundle(bundle).resolve("model.onnx");
    }

    private static Path variant(String bundle, String file) throws URISyntaxException {
        String name = "/variants/" + bundle + "/" + file;
        var url = VariantFilesTest.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        return Path.of(url.toURI());
    }
}
