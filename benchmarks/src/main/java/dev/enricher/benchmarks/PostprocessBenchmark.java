package dev.enricher.benchmarks;

import dev.enricher.bench.BenchTexts;
import dev.enricher.inference.Aggregation;
import dev.enricher.inference.BatchLimits;
import dev.enricher.inference.ClassificationFunction;
import dev.enricher.inference.ClassifierPipeline;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.Logits;
import dev.enricher.inference.NerPipeline;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.inference.TokenClassification;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.Tokenized;
import java.util.ArrayList;
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
 * Post-processing of 32 short events from their logits (computed once by the tiny bundles): the
 * {@code text-classification} pipeline (softmax, sort) and the {@code token-classification} pipeline (softmax per
 * token, word rebuilding, aggregation). Time per batch of 32.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PostprocessBenchmark {
    @Param({"simple", "first", "none"})
    public String aggregation;

    private ClassifierPipeline classifier;
    private NerPipeline ner;
    private List<Tokenized> tokens;
    private List<float[]> classLogits;
    private List<float[][]> tokenLogits;
    private TokenClassification.Words words;
    private TokenClassification.Options nerOptions;

    @Setup(Level.Trial)
    public void setUp() {
        InferenceSettings cpu = InferenceSettings.cpu(1);
        BatchLimits limits = BatchLimits.ofSize(32);
        classifier = ClassifierPipeline.open(Fixtures.bundle("tiny-sentiment"), cpu,
                new SequenceClassification.Options(ClassificationFunction.DEFAULT, 0,
                        SequenceClassification.LongText.TRUNCATE), 32, limits);
        Aggregation a = Aggregation.valueOf(aggregation.toUpperCase(java.util.Locale.ROOT));
        nerOptions = TokenClassification.Options.of(a, TokenClassification.Windows.TRUNCATE);
        ner = NerPipeline.open(Fixtures.bundle("tiny-ner"), cpu, nerOptions, 32, limits);
        TextTokenizer tokenizer = ner.tokenizer();
        words = new TokenClassification.Words(tokenizer.wordAware(), tokenizer.unkTokenId(), tokenizer.tokensToString());
        tokens = tokenizer.encodeAll(BenchTexts.generate(32, 1, tokenizer, 10, 64));
        classLogits = new ArrayList<>();
        tokenLogits = new ArrayList<>();
        for (Tokenized t : tokens) {
            Logits c = classifier.bundle().run(List.of(t.first()));
            classLogits.add(c.row(0));
            Logits n = ner.bundle().run(List.of(t.first()));
            tokenLogits.add(n.tokens(0, t.first().length()));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        classifier.close();
        ner.close();
    }

    @Benchmark
    public void classification(Blackhole bh) {
        List<String> labels = classifier.bundle().config().labels();
        for (int i = 0; i < tokens.size(); i++) {
            bh.consume(SequenceClassification.postprocess(List.of(classLogits.get(i)), false, labels,
                    classifier.options()));
        }
    }

    @Benchmark
    public void tokenClassification(Blackhole bh) {
        List<String> labels = ner.bundle().config().labels();
        for (int i = 0; i < tokens.size(); i++) {
            Tokenized t = tokens.get(i);
            bh.consume(TokenClassification.postprocess(t, List.of(t.first()), List.<float[][]>of(tokenLogits.get(i)), labels,
                    words, nerOptions));
        }
    }
}
