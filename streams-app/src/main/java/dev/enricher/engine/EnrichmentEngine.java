package dev.enricher.engine;

import dev.enricher.avro.ClassificationResult;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.ModelProvenance;
import dev.enricher.avro.NerSummary;
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
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifiers and the NER tagger behind one call: a batch of events in, one enriched event (or a failure
 * message) per event out. Each text is tokenized once per distinct tokenization (same {@code tokenizer.json}
 * content, maximum length and, where windows are used, stride): models sharing one reuse its tokens. A caller may
 * tokenize texts ahead ({@link #tokenize}, {@link Event#tokens()}), off the thread that runs the batch.
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

    /**
     * What the engine needs besides the models.
     *
     * @param serviceVersion written into every record's service_version, never null
     */
    public record Settings(boolean includeText, String serviceVersion) {
        public Settings {
            Objects.requireNonNull(serviceVersion, "serviceVersion");
        }
    }

    /**
     * A sequence classifier under its task name (unique in an engine), with the thresholds of its
     * labels_over_threshold: {@code labelThresholds} per label, {@code threshold} for the others.
     */
    public record Classifier(String task, ClassifierPipeline pipeline, double threshold,
                             Map<String, Double> labelThresholds) {
        public Classifier {
            labelThresholds = Map.copyOf(labelThresholds);
        }
    }

    /** How to open one classifier: its task name, bundle folder, options, window stride and thresholds. */
    public record ClassifierSpec(String task, Path dir, SequenceClassification.Options options, int stride,
                                 double threshold, Map<String, Double> labelThresholds) {}

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

    /**
     * What the models say of some texts: {@code classes} has one list per classifier, in the engine's order (empty
     * without classifiers); {@code entities} is null without a NER tagger.
     */
    public record Predictions(List<List<SequenceClassification.Result>> classes,
                             List<TokenClassification.Result> entities) {}

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

    /** The NER tagger's task name in {@link #provenanceByTask()}; no classifier may have it. */
    public static final String NER_TASK = "ner";

    /** A text every working model enriches: run alone to tell a bad event from failing models. */
    static final String PROBE_TEXT = "probe";

    /** Models that read the same tokens, which the first member's tokenizer encodes. */
    private record Tokenization(List<Pipeline<?>> members) {
        TextTokenizer tokenizer() {
            return members.get(0).tokenizer();
        }
    }

    private final List<Classifier> classifiers;
    private final Optional<NerPipeline> ner;
    private final List<Tokenization> tokenizations;
    private final Settings settings;
    private final Inference inference;
    private final Map<String, ModelProvenance> provenance;
    private final LongAdder events = new LongAdder();

    /** @param classifiers in output order; task names unique */
    public EnrichmentEngine(List<Classifier> classifiers, Optional<NerPipeline> ner, Settings settings) {
        if (classifiers.isEmpty() && ner.isEmpty()) {
            throw new IllegalArgumentException("an engine needs a classifier, a NER tagger or both");
        }
        Set<String> tasks = new HashSet<>(Set.of(NER_TASK));
        for (Classifier c : classifiers) {
            if (!tasks.add(c.task())) {
                throw new IllegalArgumentException("classifier name " + c.task() + " is taken (two classifiers, or "
                        + NER_TASK + ", the tagger's)");
            }
        }
        this.classifiers = List.copyOf(classifiers);
        this.ner = ner;
        this.settings = settings;
        List<Pipeline<?>> models = new ArrayList<>();
        ner.ifPresent(models::add);
        classifiers.forEach(c -> models.add(c.pipeline()));
        this.tokenizations = tokenizations(models);
        this.inference = this::predict;
        Map<String, ModelProvenance> byModel = new LinkedHashMap<>();
        classifiers.forEach(c -> byModel.put(c.task(), provenance(c.pipeline())));
        ner.ifPresent(n -> byModel.put(NER_TASK, provenance(n)));
        this.provenance = Collections.unmodifiableMap(byModel);
        LOG.info("enrichment engine: {}; {} tokenization(s) for {} model(s)", provenance.entrySet().stream()
                .map(m -> m.getKey() + "=" + m.getValue().getBundle() + "/" + m.getValue().getFile() + " sha256="
                        + m.getValue().getSha256().substring(0, 12) + " on " + m.getValue().getDevice() + " ("
                        + m.getValue().getPrecisionMode() + ")").toList(), tokenizations.size(), models.size());
    }

    /** The same models and settings as {@code models}, their calls going through {@code wrap}. */
    private EnrichmentEngine(EnrichmentEngine models, UnaryOperator<Inference> wrap) {
        this.classifiers = models.classifiers;
        this.ner = models.ner;
        this.settings = models.settings;
        this.tokenizations = models.tokenizations;
        this.provenance = models.provenance;
        this.inference = wrap.apply(models::predict);
    }

    /** Opens the configured bundles, classifiers in the given order; closes what it opened if one fails. */
    public static EnrichmentEngine open(List<ClassifierSpec> classifierSpecs, Optional<Path> nerDir,
                                        TokenClassification.Options nerOptions, int nerStride,
                                        InferenceSettings inference, BatchLimits limits, Settings settings) {
        List<Pipeline<?>> opened = new ArrayList<>();
        try {
            List<Classifier> classifiers = new ArrayList<>();
            for (ClassifierSpec spec : classifierSpecs) {
                LOG.info("loading classifier {} from {}", spec.task(), spec.dir());
                ClassifierPipeline c = ClassifierPipeline.open(spec.dir(), inference, spec.options(), spec.stride(),
                        limits);
                opened.add(c);
                classifiers.add(new Classifier(spec.task(), c, spec.threshold(), spec.labelThresholds()));
            }
            NerPipeline n = null;
            if (nerDir.isPresent()) {
                LOG.info("loading NER tagger {}", nerDir.get());
                n = NerPipeline.open(nerDir.get(), inference, nerOptions, nerStride, limits);
                opened.add(n);
            }
            return new EnrichmentEngine(classifiers, Optional.ofNullable(n), settings);
        } catch (RuntimeException e) {
            opened.forEach(Pipeline::close);
            throw e;
        }
    }

    /** Groups models, first come first, with the first earlier model whose tokens they can read. */
    private static List<Tokenization> tokenizations(List<Pipeline<?>> models) {
        List<Tokenization> out = new ArrayList<>();
        for (Pipeline<?> model : models) {
            Tokenization shared = null;
            for (Tokenization t : out) {
                if (canReadTokensOf(model, t.members().get(0))) {
                    shared = t;
                    break;
                }
            }
            if (shared == null) {
                out.add(new Tokenization(new ArrayList<>(List.of(model))));
            } else {
                shared.members().add(model);
            }
        }
        return out.stream().map(t -> new Tokenization(List.copyOf(t.members()))).toList();
    }

    /**
     * Whether {@code model} runs on the tokens of {@code other}'s tokenizer as on its own: tokenizers that encode
     * alike as transformers runs them, and the same stride unless the model reads only the first window.
     */
    private static boolean canReadTokensOf(Pipeline<?> model, Pipeline<?> other) {
        TextTokenizer own = model.tokenizer();
        TextTokenizer tokenizer = other.tokenizer();
        boolean strideMatters = !(model instanceof ClassifierPipeline c)
                || c.options().longText() != SequenceClassification.LongText.TRUNCATE;
        return strideMatters ? own.encodesLike(tokenizer) : own.encodesFirstWindowLike(tokenizer);
    }

    private static ModelProvenance provenance(Pipeline<?> p) {
        return ModelProvenance.newBuilder().setBundle(p.bundle().name()).setFile(p.bundle().file())
                .setSha256(p.bundle().sha256()).setDevice(p.bundle().device())
                .setPrecisionMode(p.bundle().precision()).build();
    }

    /** Provenance of each model by task name ({@link #NER_TASK} for the tagger): classifiers first, in order. */
    public Map<String, ModelProvenance> provenanceByTask() {
        return provenance;
    }

    /** Provenance of each model: classifiers first, in order, then the NER tagger. */
    public List<ModelProvenance> provenance() {
        return List.copyOf(provenance.values());
    }

    /** How many times each text is tokenized: once per distinct tokenization of the models. */
    public int tokenizations() {
        return tokenizations.size();
    }

    /**
     * An engine over the same models whose calls into them go through {@code wrap} (fault injection in tests).
     * Both engines share the pipelines: close only one of them.
     */
    public EnrichmentEngine withInference(UnaryOperator<Inference> wrap) {
        return new EnrichmentEngine(this, wrap);
    }

    /** The classifiers, in output order. */
    public List<Classifier> classifiers() {
        return classifiers;
    }

    /** The first classifier's pipeline, if any (the benchmark and per-model metrics read it). */
    public Optional<ClassifierPipeline> classifier() {
        return classifiers.stream().findFirst().map(Classifier::pipeline);
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
     * The text encoded by the first tokenization (the NER tagger's when there is one, else the first classifier's);
     * {@link #enrich} encodes it for the other tokenizations. Thread-safe; the caller may encode texts ahead of their
     * batch (a stream thread, while models run).
     */
    public Tokenized tokenize(String text) {
        return tokenizations.get(0).tokenizer().encode(text);
    }

    private Predictions predict(List<Tokenized> tokens) {
        List<String> texts = tokens.stream().map(Tokenized::text).toList();
        Map<Pipeline<?>, List<?>> results = new IdentityHashMap<>();
        for (int t = 0; t < tokenizations.size(); t++) {
            Tokenization group = tokenizations.get(t);
            List<Tokenized> encoded = t == 0 ? tokens : group.tokenizer().encodeAll(texts);
            for (Pipeline<?> model : group.members()) {
                results.put(model, model.predictTokenized(encoded));
            }
        }
        List<List<SequenceClassification.Result>> classes = new ArrayList<>(classifiers.size());
        for (Classifier c : classifiers) {
            @SuppressWarnings("unchecked")
            List<SequenceClassification.Result> r = (List<SequenceClassification.Result>) results.get(c.pipeline());
            classes.add(r);
        }
        @SuppressWarnings("unchecked")
        List<TokenClassification.Result> entities = ner.map(n -> (List<TokenClassification.Result>) results.get(n))
                .orElse(null);
        return new Predictions(classes, entities);
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
            List<ClassificationResult> classifications = new ArrayList<>(classifiers.size());
            for (int c = 0; c < classifiers.size(); c++) {
                classifications.add(classification(classifiers.get(c), predictions.classes().get(c).get(i)));
            }
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
                    .setServiceVersion(settings.serviceVersion())
                    .setClassifications(classifications)
                    .setNer(null)
                    .setEntities(List.of())
                    .setTimings(Timings.newBuilder().setBatchWaitMs(Math.max(0, startMillis - p.arrivalMillis()))
                            .setInferenceMs(inferenceMs).setBatchSize(batch.size()).build());
            if (predictions.entities() != null) {
                TokenClassification.Result r = predictions.entities().get(i);
                e.setNer(NerSummary.newBuilder().setModel(provenance.get(NER_TASK)).setTruncated(r.truncated())
                        .setWindows(r.windows()).build());
                e.setEntities(entities(r));
            }
            out.add(new Outcome(e.build(), null));
        }
        return out;
    }

    private ClassificationResult classification(Classifier classifier, SequenceClassification.Result r) {
        List<dev.enricher.avro.LabelScore> scores = new ArrayList<>(r.scores().size());
        List<String> over = new ArrayList<>();
        for (LabelScore s : r.scores()) {
            scores.add(new dev.enricher.avro.LabelScore(s.label(), s.score()));
            if (s.score() >= classifier.labelThresholds().getOrDefault(s.label(), classifier.threshold())) {
                over.add(s.label());
            }
        }
        return ClassificationResult.newBuilder().setTask(classifier.task())
                .setModel(provenance.get(classifier.task())).setScores(scores)
                .setTopLabel(r.top().label()).setTopScore(r.top().score()).setLabelsOverThreshold(over)
                .setTruncated(r.truncated()).setWindows(r.windows()).build();
    }

    private static List<dev.enricher.avro.Entity> entities(TokenClassification.Result r) {
        List<dev.enricher.avro.Entity> list = new ArrayList<>(r.entities().size());
        for (Entity e : r.entities()) {
            list.add(new dev.enricher.avro.Entity(e.label(), e.word(), e.start(), e.end(), e.score()));
        }
        return list;
    }

    /** Events enriched since start. */
    public long events() {
        return events.sum();
    }

    /** Closes the models. Call only after every caller of {@link #enrich} has stopped. */
    @Override
    public void close() {
        classifiers.forEach(c -> c.pipeline().close());
        ner.ifPresent(Pipeline::close);
    }
}
