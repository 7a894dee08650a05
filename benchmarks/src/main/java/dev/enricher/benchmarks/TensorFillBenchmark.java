package dev.enricher.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.enricher.bench.BenchTexts;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.Logits;
import dev.enricher.inference.ModelBundle;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.TokenWindow;
import dev.enricher.tokenize.Tokenized;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The tensor side of a model run, for one length-sorted run of {@code batch} short events:
 * <ul>
 *   <li>{@code fillAndWrap}: filling the three reusable direct int64 buffers (ids, mask, type ids, padded to the
 *       longest) with {@code ModelBundle.fillInputs}, as {@code ModelBundle.run} does, and wrapping them as ONNX
 *       Runtime tensors without copying;</li>
 *   <li>{@code copyTokenLogits}: copying a token classifier's output rows out, as the NER post-processing does
 *       ({@code Logits.tokens});</li>
 *   <li>{@code tinyModelRun}: {@code ModelBundle.run} itself on the tiny NER bundle (2 layers, hidden size 32):
 *       filling, a model so small that its own cost is of the same order, and copying the output. An upper bound
 *       of the run's overhead around the model.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TensorFillBenchmark {
    @Param({"1", "32"})
    public int batch;

    private ModelBundle bundle;
    private List<TokenWindow> windows;
    private LongBuffer ids;
    private LongBuffer mask;
    private LongBuffer types;
    private Logits logits;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        bundle = ModelBundle.load(Fixtures.bundle("tiny-ner"), InferenceSettings.cpu(1));
        try (TextTokenizer tokenizer = TextTokenizer.load(bundle.tokenizerFile(), bundle.config().maxLength(), 32)) {
            List<String> texts = BenchTexts.generate(batch, 1, tokenizer, 10, 64);
            windows = new ArrayList<>();
            for (Tokenized t : tokenizer.encodeAll(texts)) {
                windows.add(t.first());
            }
        }
        windows.sort(Comparator.comparingInt(TokenWindow::length));
        int cells = batch * 64;
        ids = direct(cells);
        mask = direct(cells);
        types = direct(cells);
        logits = bundle.run(windows);
    }

    private static LongBuffer direct(int cells) {
        return ByteBuffer.allocateDirect(cells * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bundle.close();
    }

    @Benchmark
    public void fillAndWrap(Blackhole bh) throws OrtException {
        int sequence = 0;
        for (TokenWindow w : windows) {
            sequence = Math.max(sequence, w.length());
        }
        int cells = windows.size() * sequence;
        ids.clear().limit(cells);
        mask.clear().limit(cells);
        types.clear().limit(cells);
        ModelBundle.fillInputs(windows, sequence, ids, mask, types);
        long[] shape = {windows.size(), sequence};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids, shape);
             OnnxTensor b = OnnxTensor.createTensor(env, mask, shape);
             OnnxTensor c = OnnxTensor.createTensor(env, types, shape)) {
            bh.consume(a);
            bh.consume(b);
            bh.consume(c);
        }
    }

    @Benchmark
    public void copyTokenLogits(Blackhole bh) {
        for (int b = 0; b < windows.size(); b++) {
            bh.consume(logits.tokens(b, windows.get(b).length()));
        }
    }

    @Benchmark
    public Logits tinyModelRun() {
        return bundle.run(windows);
    }
}
