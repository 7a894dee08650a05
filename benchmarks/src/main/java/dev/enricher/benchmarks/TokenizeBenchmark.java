package dev.enricher.benchmarks;

import dev.enricher.bench.BenchTexts;
import dev.enricher.inference.ModelConfig;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.Tokenized;
import java.nio.file.Path;
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

/**
 * Tokenization as the engine does it: a batch of short events (10..64 tokens) encoded in one native call, and
 * one event alone. Time per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TokenizeBenchmark {
    /** Any bundle: the tiny ones carry the MiniLM vocabulary and tokenizer of the MiniLM-size bundles. */
    @Param("tiny-sentiment")
    public String bundle;

    @Param({"1", "32"})
    public int batch;

    private TextTokenizer tokenizer;
    private List<String> texts;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = Fixtures.bundle(bundle);
        tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"), ModelConfig.read(dir).maxLength(), 32);
        texts = BenchTexts.generate(batch, 1, tokenizer, 10, 64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tokenizer.close();
    }

    @Benchmark
    public List<Tokenized> encodeAll() {
        return tokenizer.encodeAll(texts);
    }
}
