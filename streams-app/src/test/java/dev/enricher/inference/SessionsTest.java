package dev.enricher.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU session options: LayerNorm fusion is off before ONNX Runtime 1.30 (its fused CPU kernel is scalar there),
 * and a model whose LayerNorm is written out (as the MiniLM bundles' opset-11 graphs) then runs unfused with logits
 * as close to exact arithmetic as the fused ones. Fixture: {@code layernorm/} from
 * {@code models/tools/make_layernorm_fixture.py}.
 */
class SessionsTest {
    static final double EXACT_TOLERANCE = 1e-5;

    @Test
    void layerNormFusionIsOffBefore130Only() {
        String off = "LayerNormFusionL1;LayerNormFusionL2;SimplifiedLayerNormFusion";
        assertEquals(off, Sessions.cpuDisabledOptimizers("1.29.0"));
        assertEquals(off, Sessions.cpuDisabledOptimizers("1.29.1"));
        assertEquals("", Sessions.cpuDisabledOptimizers("1.30.0"));
        assertEquals("", Sessions.cpuDisabledOptimizers("1.31.1"));
        assertEquals("", Sessions.cpuDisabledOptimizers("2.0.0"));
        assertEquals("", Sessions.cpuDisabledOptimizers("unknown"));
    }

    @Test
    void decomposedLayerNormRunsUnfusedWithExactLogits(@TempDir Path tmp) throws Exception {
        assertEquals("1.29.0", OrtEnvironment.getEnvironment().getVersion(), "this test describes ONNX Runtime 1.29");
        Path model = resource("layernorm/decomposed-layernorm.onnx");
        JsonNode reference;
        try (InputStream in = Files.newInputStream(resource("layernorm/decomposed-layernorm.reference.json"))) {
            reference = new ObjectMapper().readTree(in);
        }
        long[][] ids = longs(reference.get("input_ids"));
        long[][] types = longs(reference.get("token_type_ids"));

        Path unfusedGraph = tmp.resolve("unfused.onnx");
        float[][][] unfused;
        try (OrtSession.SessionOptions options = Sessions.cpuOptions(InferenceSettings.cpu(1))) {
            options.setOptimizedModelFilePath(unfusedGraph.toString());
            unfused = run(model, options, ids, types);
        }
        Path fusedGraph = tmp.resolve("fused.onnx");
        float[][][] fused;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(1);
            options.setOptimizedModelFilePath(fusedGraph.toString());
            fused = run(model, options, ids, types);
        }
        assertTrue(graphText(fusedGraph).contains("LayerNormalization"), "ONNX Runtime fuses by default");
        assertFalse(graphText(unfusedGraph).contains("LayerNormalization"), "the service's CPU options do not fuse");

        JsonNode exact = reference.get("logits");
        assertEquals(exact.size(), unfused.length, "batch");
        for (int b = 0; b < unfused.length; b++) {
            assertEquals(exact.get(b).size(), unfused[b].length, "sequence");
            for (int t = 0; t < unfused[b].length; t++) {
                assertEquals(exact.get(b).get(t).size(), unfused[b][t].length, "labels");
                for (int k = 0; k < unfused[b][t].length; k++) {
                    double want = exact.get(b).get(t).get(k).asDouble();
                    String at = "logit [" + b + "][" + t + "][" + k + "]";
                    assertEquals(want, unfused[b][t][k], EXACT_TOLERANCE, at + " unfused");
                    assertEquals(want, fused[b][t][k], EXACT_TOLERANCE, at + " fused");
                }
            }
        }
    }

    @Test
    void unfusedLayerNormIsBatchInvariant() throws Exception {
        Path model = resource("layernorm/decomposed-layernorm.onnx");
        long[][] ids = {{1, 2, 3, 4, 5}, {9, 8, 7, 6, 5}, {60, 2, 33, 4, 17}};
        long[][] types = {{0, 0, 0, 1, 1}, {0, 0, 1, 1, 1}, {0, 0, 0, 0, 1}};
        try (OrtSession.SessionOptions options = Sessions.cpuOptions(InferenceSettings.cpu(1));
             OrtSession session = OrtEnvironment.getEnvironment().createSession(model.toString(), options)) {
            float[][][] together = run(session, ids, types);
            assertEquals(ids.length, together.length, "batch");
            for (int b = 0; b < ids.length; b++) {
                float[][][] alone = run(session, new long[][] {ids[b]}, new long[][] {types[b]});
                assertEquals(together[b].length, alone[0].length, "sequence of row " + b);
                for (int t = 0; t < alone[0].length; t++) {
                    assertArrayEquals(alone[0][t], together[b][t], "row " + b + " token " + t);
                }
            }
        }
    }

    @Test
    void openedCpuSessionMatchesItsOptions(@TempDir Path tmp) throws Exception {
        Path model = Files.copy(resource("layernorm/decomposed-layernorm.onnx"), tmp.resolve(ModelFiles.FP32));
        long[][] ids = {{1, 2, 3}, {4, 5, 6}};
        long[][] types = {{0, 0, 1}, {0, 1, 1}};
        float[][][] expected;
        try (OrtSession.SessionOptions options = Sessions.cpuOptions(InferenceSettings.cpu(1))) {
            expected = run(model, options, ids, types);
        }
        try (Sessions.Opened opened = Sessions.open(ModelFiles.find(tmp), InferenceSettings.cpu(1))) {
            assertEquals(model, opened.file());
            float[][][] actual = run(opened.session(), ids, types);
            assertEquals(expected.length, actual.length);
            for (int b = 0; b < expected.length; b++) {
                for (int t = 0; t < expected[b].length; t++) {
                    assertArrayEquals(expected[b][t], actual[b][t]);
                }
            }
        }
    }

    private static float[][][] run(Path model, OrtSession.SessionOptions options, long[][] ids, long[][] types)
            throws OrtException {
        try (OrtSession session = OrtEnvironment.getEnvironment().createSession(model.toString(), options)) {
            return run(session, ids, types);
        }
    }

    private static float[][][] run(OrtSession session, long[][] ids, long[][] types) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[][] mask = new long[ids.length][ids[0].length];
        for (long[] row : mask) {
            Arrays.fill(row, 1L);
        }
        try (OnnxTensor i = OnnxTensor.createTensor(env, ids);
             OnnxTensor m = OnnxTensor.createTensor(env, mask);
             OnnxTensor t = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(Map.of(ModelBundle.INPUT_IDS, i, ModelBundle.ATTENTION_MASK, m,
                     ModelBundle.TOKEN_TYPE_IDS, t))) {
            return (float[][][]) result.get(0).getValue();
        }
    }

    private static String graphText(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }

    private static long[][] longs(JsonNode rows) {
        long[][] out = new long[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            out[r] = new long[rows.get(r).size()];
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = rows.get(r).get(c).asLong();
            }
        }
        return out;
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(SessionsTest.class.getClassLoader().getResource(name).toURI());
    }
}
