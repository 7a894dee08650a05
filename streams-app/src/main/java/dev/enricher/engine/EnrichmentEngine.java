package dev.enricher.engine;

import dev.enricher.avro.Classification;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.EntityResult;
import dev.enricher.avro.ModelProvenance;
import dev.enricher.avro.Timings;
import dev.enricher.inference.BatchLimits;
import dev.enricher.inference.ClassifierPipeline;
import dev.enricher.inference.Entity;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.LabelScore;
import dev.enricher.inference.NerPipeline;
import dev.enricher.inference.Pipeline;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.inference.TokenClassification;
import dev.enricher.tokenize.TextTokenizer;
import dev.enricher.tokenize.Tokenized;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier and the NER tagger behind one call: a batch of events in, one enriched event (or a failure
 * message) per event out. Texts are tokenized once when both models share a tokenizer, and a caller may tokenize
 * them ahead ({@link #tokenize}, {@link Event#tokens()}), off the thread that runs the batch.
 *
 * <p>Failures are classified: an event the models fail on while they work for others is a bad record (its
 * outcome carries the failure); a failure of the models themselves (a closed session, out of memory, a lost
 * device: every run fails) throws {@link EngineFailure}, so the caller keeps the events and retries later.
 *
 * <p>One engine per process, called by the batch scheduler's inference threads ({@link #enrich}) and the stream
 * threads ({@link #tokenize}); both are thread-safe. Owns the pipelines; {@link #close()} must come after every
 * caller has stopped.
 */
public final class EnrichmentEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnrichmentEngine.class);

    /** What the engine needs besides the models. */
    public record Settings(double threshold, Map<String, Double> labelThresholds, boolean includeText) {}

    /**
     * An event to enrich: its decoded text and where it came from.
     *
     * @param eventTime epoch milliseconds, or null; {@code metadata} may be null
     * @param arrivalMillis when the service consumed it, on the clock of {@link #enrich}'s {@code startMillis}
     * @param tokens the text encoded by {@link #tokenize}, or null to encode it with its batch
     */
    public record Event(String id, String text, String sourceTopic, int sourcePartition, long sourceOffset,
                        long recordTime, Long eventTime, Map<String, String> metadata, long arrivalMillis,
                        Tokenized tokens) {

        /** An event whose text is encoded with its batch. */
        public Event(String id, String text, String sourceTopic, int sourcePartition, long sourceOffset,
                     long recordTime, Long eventTime, Map<String, String> metadata, long arrivalMillis) {
            this(id, text, sourceTopic, sourcePartition, sourceOffset, recordTime, eventTime, metadata, arrivalMillis,
                    null);
        }

        /** Tokens the models will run on, special tokens included (every window's). */
        public static long tokenCount(Tokenized tokens) {
            long n = 0;
            for (var w : tokens.windows()) {
                n += w.length();
            }
            return n;
        }
    }

    /** One event's result: exactly one of {@code event} and {@code failure} is set. */
    public record Outcome(EnrichedEvent event, String failure) {}

    /** What the models say of some texts; either list is null when that model is not configured. */
    public record Predictions(List<SequenceClassification.Result> classes, List<TokenClassification.Result> entities) {}

    /**
     * The engine's one call into the models: texts encoded by {@link #tokenize} in, predictions in the same order
     * out. Thread-safe.
     */
    @FunctionalInterface
    public interface Inference {
        Predictions predict(List<Tokenized> texts);
    }

    /** The models failed as a whole, not on one event: nothing was enriched; retry the batch later. */
    public static final class EngineFailure extends RuntimeException {
        public EngineFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A text every working model enriches: run alone to tell a bad event from failing models. */
    static final String PROBE_TEXT = "probe";

    private final Optional<ClassifierPipeline> classifier;
    private final Optional<NerPipeline> ner;
    private final boolean sharedTokens;
    private final Settings settings;
    private final Inference inference;
    private final List<ModelProvenance> provenance;
    private final LongAdder events = new LongAdder();

    public EnrichmentEngine(Optional<ClassifierPipeline> classifier, Optional<NerPipeline> ner, Settings settings) {
        if (classifier.isEmpty() && ner.isEmpty()) {
            throw new IllegalArgumentException("an engine needs a classifier, a NER tagger or both");
        }
        this.classifier = classifier;
        this.ner = ner;
        this.settings = settings;
        this.sharedTokens = classifier.isPresent() && ner.isPresent() && sameTokenization(classifier.get(), ner.get());
        this.inference = this::predict;
        List<ModelProvenance> models = new ArrayList<>();
        classifier.ifPresent(c -> models.add(provenance("classifier", c)));
        ner.ifPresent(n -> models.add(provenance("ner", n)));
        this.provenance = List.copyOf(models);
        LOG.info("enrichment engine: {}; tokenization {}", provenance.stream()
                .map(m -> m.getTask() + "=" + m.getBundle() + "/" + m.getFile() + " sha256=" + m.getSha256().substring(0, 12)
                        + " on " + m.getDevice() + " (" + m.getPrecision() + ")").toList(),
                sharedTokens ? "shared" : "per model");
    }

    /** The same models and settings as {@code models}, their calls going through {@code wrap}. */
    private EnrichmentEngine(EnrichmentEngine models, UnaryOperator<Inference> wrap) {
        this.classifier = models.classifier;
        this.ner = models.ner;
        this.settings = models.settings;
        this.sharedTokens = models.sharedTokens;
        this.provenance = models.provenance;
        this.inference = wrap.apply(models::predict);
    }

    /** Opens the configured bundles; closes what it opened if one fails. */
    public static EnrichmentEngine open(Optional<Path> classifierDir, SequenceClassification.Options classifierOptions,
                                        int classifierStride, Optional<Path> nerDir,
                                        TokenClassification.Options nerOptions, int nerStride,
                                        InferenceSettings inference, BatchLimits limits, Settings settings) {
        ClassifierPipeline c = null;
        try {
            if (classifierDir.isPresent()) {
                LOG.info("loading classifier {}", classifierDir.get());
                c = ClassifierPipeline.open(classifierDir.get(), inference, classifierOptions, classifierStride, limits);
            }
            NerPipeline n = null;
            if (nerDir.isPresent()) {
                LOG.info("loading NER tagger {}", nerDir.get());
                n = NerPipeline.open(nerDir.get(), inference, nerOptions, nerStride, limits);
            }
            return new EnrichmentEngine(Optional.ofNullable(c), Optional.ofNullable(n), settings);
        } catch (RuntimeException e) {
            if (c != null) {
                c.close();
            }
            throw e;
        }
    }

    private static boolean sameTokenization(ClassifierPipeline c, NerPipeline n) {
        TextTokenizer a = c.tokenizer();
        TextTokenizer b = n.tokenizer();
        return a.encodesLike(b);
    }

    private static ModelProvenance provenance(String task, Pipeline<?> p) {
        return ModelProvenance.newBuilder().setTask(task).setBundle(p.bundle().name()).setSha256(p.bundle().sha256())
                .setDevice(p.bundle().device()).setPrecision(p.bundle().precision()).setFile(p.bundle().file()).build();
    }

    public List<ModelProvenance> provenance() {
        return provenance;
    }

    /**
     * An engine over the same models whose calls into them go through {@code wrap} (fault injection in tests).
     * Both engines share the pipelines: close only one of them.
     */
    public EnrichmentEngine withInference(UnaryOperator<Inference> wrap) {
        return new EnrichmentEngine(this, wrap);
    }

    public Optional<ClassifierPipeline> classifier() {
        return classifier;
    }

    public Optional<NerPipeline> ner() {
        return ner;
    }

    /**
     * Enriches a batch, in order. When the batch fails as a whole, the models are probed with a text they always
     * enrich: if that fails too, the models are failing, not the events. Otherwise each event runs alone, and an
     * event that fails alone twice, with the probe passing in between, is a bad record and gets a failure message.
     *
     * @param startMillis now, on the clock of the events' {@code arrivalMillis}; batch waits and processing
     *     times are measured from it
     * @throws EngineFailure when the models fail whatever the input: no outcome is returned for any event
     */
    public List<Outcome> enrich(List<Event> batch, long startMillis) {
        if (batch.isEmpty()) {
            return List.of();
        }
        long startNanos = System.nanoTime();
        try {
            return run(batch, startMillis, startNanos);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError batchFailure) {
            probe(batchFailure);
            LOG.warn("a batch of {} events failed ({}); running them one by one", batch.size(), batchFailure.toString());
            List<Outcome> outcomes = new ArrayList<>(batch.size());
            for (Event event : batch) {
                outcomes.add(runAlone(event, startMillis, startNanos));
            }
            if (outcomes.stream().allMatch(o -> o.failure() == null)) {
                return outcomes;
            }
            probe(batchFailure);
            for (int i = 0; i < batch.size(); i++) {
                if (outcomes.get(i).failure() != null) {
                    outcomes.set(i, runAlone(batch.get(i), startMillis, startNanos));
                }
            }
            return outcomes;
        }
    }

    private Outcome runAlone(Event event, long startMillis, long startNanos) {
        try {
            return run(List.of(event), startMillis, startNanos).get(0);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            return new Outcome(null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** Returns when the models enrich {@link #PROBE_TEXT}; else throws EngineFailure. */
    private void probe(Throwable batchFailure) {
        try {
            inference.predict(List.of(tokenize(PROBE_TEXT)));
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            EngineFailure failure = new EngineFailure("the models fail on every input (last: " + e + ")", batchFailure);
            failure.addSuppressed(e);
            throw failure;
        }
    }

    /**
     * The text encoded for the models: by the NER tagger's tokenizer when there is one, else the classifier's.
     * Thread-safe; the caller may encode texts ahead of their batch (a stream thread, while models run).
     */
    public Tokenized tokenize(String text) {
        return tokenizer().encode(text);
    }

    private TextTokenizer tokenizer() {
        return ner.isPresent() ? ner.get().tokenizer() : classifier.get().tokenizer();
    }

    private Predictions predict(List<Tokenized> tokens) {
        List<SequenceClassification.Result> classes = null;
        if (classifier.isPresent()) {
            classes = sharedTokens || ner.isEmpty() ? classifier.get().predictTokenized(tokens)
                    : classifier.get().predict(tokens.stream().map(Tokenized::text).toList());
        }
        return new Predictions(classes, ner.map(n -> n.predictTokenized(tokens)).orElse(null));
    }

    private List<Tokenized> tokensOf(List<Event> batch) {
        List<Tokenized> out = new ArrayList<>(batch.size());
        for (Event e : batch) {
            out.add(e.tokens() != null ? e.tokens() : tokenize(e.text()));
        }
        return out;
    }

    private List<Outcome> run(List<Event> batch, long startMillis, long startNanos) {
        long runStart = System.nanoTime();
        Predictions predictions = inference.predict(tokensOf(batch));
        long done = System.nanoTime();
        double inferenceMs = (done - runStart) / 1e6;
        long now = startMillis + (done - startNanos) / 1_000_000;
        events.add(batch.size());
        List<Outcome> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Event p = batch.get(i);
            EnrichedEvent.Builder e = EnrichedEvent.newBuilder()
                    .setId(p.id())
                    .setText(settings.includeText() ? p.text() : null)
                    .setSourceTopic(p.sourceTopic())
                    .setSourcePartition(p.sourcePartition())
                    .setSourceOffset(p.sourceOffset())
                    .setEventTime(p.eventTime() == null ? null : Instant.ofEpochMilli(p.eventTime()))
                    .setRecordTime(Instant.ofEpochMilli(p.recordTime()))
                    .setProcessingTime(Instant.ofEpochMilli(now))
                    .setMetadata(p.metadata())
                    .setModels(provenance)
                    .setTimings(Timings.newBuilder().setBatchWaitMs(Math.max(0, startMillis - p.arrivalMillis()))
                            .setInferenceMs(inferenceMs).setBatchSize(batch.size()).build());
            if (predictions.classes() != null) {
                e.setClassification(classification(predictions.classes().get(i)));
            }
            if (predictions.entities() != null) {
                e.setEntities(entities(predictions.entities().get(i)));
            }
            out.add(new Outcome(e.build(), null));
        }
        return out;
    }

    private Classification classification(SequenceClassification.Result r) {
        List<dev.enricher.avro.LabelScore> scores = new ArrayList<>(r.scores().size());
        List<String> over = new ArrayList<>();
        for (LabelScore s : r.scores()) {
            scores.add(new dev.enricher.avro.LabelScore(s.label(), s.score()));
            if (s.score() >= settings.labelThresholds().getOrDefault(s.label(), settings.threshold())) {
                over.add(s.label());
            }
        }
        return Classification.newBuilder().setModel(classifier.get().bundle().name()).setScores(scores)
                .setTopLabel(r.top().label()).setTopScore(r.top().score()).setLabelsOverThreshold(over)
                .setTruncated(r.truncated()).setWindows(r.windows()).build();
    }

    private EntityResult entities(TokenClassification.Result r) {
        List<dev.enricher.avro.Entity> list = new ArrayList<>(r.entities().size());
        for (Entity e : r.entities()) {
            list.add(new dev.enricher.avro.Entity(e.label(), e.word(), e.start(), e.end(), e.score()));
        }
        return EntityResult.newBuilder().setModel(ner.get().bundle().name()).setEntities(list)
                .setTruncated(r.truncated()).setWindows(r.windows()).build();
    }

    /** Events enriched since start. */
    public long events() {
        return events.sum();
    }

    /** Closes the models. Call only after every caller of {@link #enrich} has stopped. */
    @Override
    public void close() {
        classifier.ifPresent(Pipeline::close);
        ner.ifPresent(Pipeline::close);
    }
}
