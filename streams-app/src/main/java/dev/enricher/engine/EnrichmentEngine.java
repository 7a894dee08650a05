package dev.enricher.engine;

import dev.enricher.avro.Classification;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.EntityResult;
import dev.enricher.avro.ModelProvenance;
import dev.enricher.avro.PendingEvent;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier and the NER tagger behind one call: a batch of pending events in, one enriched event (or a
 * failure message) per event out. Texts are tokenized once when both models share a tokenizer.
 *
 * <p>One engine per process, shared by every stream thread and task: {@link #enrich} is thread-safe. Owns the
 * pipelines; {@link #close()} must come after Kafka Streams has stopped calling it.
 */
public final class EnrichmentEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnrichmentEngine.class);

    /** What the engine needs besides the models. */
    public record Settings(double threshold, Map<String, Double> labelThresholds, boolean includeText) {}

    /** One event's result: exactly one of {@code event} and {@code failure} is set. */
    public record Outcome(EnrichedEvent event, String failure) {}

    private final Optional<ClassifierPipeline> classifier;
    private final Optional<NerPipeline> ner;
    private final boolean sharedTokens;
    private final Settings settings;
    private final LongSupplier clock;
    private final List<ModelProvenance> provenance;
    private final LongAdder events = new LongAdder();

    public EnrichmentEngine(Optional<ClassifierPipeline> classifier, Optional<NerPipeline> ner, Settings settings,
                            LongSupplier clock) {
        if (classifier.isEmpty() && ner.isEmpty()) {
            throw new IllegalArgumentException("an engine needs a classifier, a NER tagger or both");
        }
        this.classifier = classifier;
        this.ner = ner;
        this.settings = settings;
        this.clock = clock;
        this.sharedTokens = classifier.isPresent() && ner.isPresent() && sameTokenization(classifier.get(), ner.get());
        List<ModelProvenance> models = new ArrayList<>();
        classifier.ifPresent(c -> models.add(provenance("classifier", c)));
        ner.ifPresent(n -> models.add(provenance("ner", n)));
        this.provenance = List.copyOf(models);
        LOG.info("enrichment engine: {}; tokenization {}", models.stream()
                .map(m -> m.getTask() + "=" + m.getBundle() + " sha256=" + m.getSha256().substring(0, 12) + " on "
                        + m.getDevice() + " (" + m.getPrecision() + ")").toList(), sharedTokens ? "shared" : "per model");
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
            return new EnrichmentEngine(Optional.ofNullable(c), Optional.ofNullable(n), settings,
                    System::currentTimeMillis);
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
        boolean strideMatters = c.options().longText() != SequenceClassification.LongText.TRUNCATE;
        try {
            return a.maxLength() == b.maxLength() && (!strideMatters || a.stride() == b.stride())
                    && TextTokenizer.sameFile(c.bundle().tokenizerFile(), n.bundle().tokenizerFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ModelProvenance provenance(String task, Pipeline<?> p) {
        return ModelProvenance.newBuilder().setTask(task).setBundle(p.bundle().name()).setSha256(p.bundle().sha256())
                .setDevice(p.bundle().device()).setPrecision(p.bundle().precision()).build();
    }

    public List<ModelProvenance> provenance() {
        return provenance;
    }

    public Optional<ClassifierPipeline> classifier() {
        return classifier;
    }

    public Optional<NerPipeline> ner() {
        return ner;
    }

    /**
     * Enriches a batch, in order. When the batch fails as a whole, each event is retried alone so one bad event
     * cannot fail the others; an event that fails alone gets a failure message.
     */
    public List<Outcome> enrich(List<PendingEvent> batch) {
        if (batch.isEmpty()) {
            return List.of();
        }
        try {
            return run(batch);
        } catch (RuntimeException batchFailure) {
            LOG.warn("a batch of {} events failed ({}); retrying them one by one", batch.size(), batchFailure.toString());
            List<Outcome> outcomes = new ArrayList<>(batch.size());
            for (PendingEvent event : batch) {
                try {
                    outcomes.add(run(List.of(event)).get(0));
                } catch (RuntimeException e) {
                    outcomes.add(new Outcome(null, e.getClass().getSimpleName() + ": " + e.getMessage()));
                }
            }
            return outcomes;
        }
    }

    private List<Outcome> run(List<PendingEvent> batch) {
        long start = clock.getAsLong();
        long startNanos = System.nanoTime();
        List<String> texts = batch.stream().map(PendingEvent::getText).toList();
        List<SequenceClassification.Result> classes = null;
        List<TokenClassification.Result> entities = null;
        if (sharedTokens) {
            List<Tokenized> tokens = ner.get().tokenizer().encodeAll(texts);
            classes = classifier.get().predictTokenized(tokens);
            entities = ner.get().predictTokenized(tokens);
        } else {
            if (classifier.isPresent()) {
                classes = classifier.get().predict(texts);
            }
            if (ner.isPresent()) {
                entities = ner.get().predict(texts);
            }
        }
        double inferenceMs = (System.nanoTime() - startNanos) / 1e6;
        long now = clock.getAsLong();
        events.add(batch.size());
        List<Outcome> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            PendingEvent p = batch.get(i);
            EnrichedEvent.Builder e = EnrichedEvent.newBuilder()
                    .setId(p.getId())
                    .setText(settings.includeText() ? p.getText() : null)
                    .setSourceTopic(p.getSourceTopic())
                    .setSourcePartition(p.getSourcePartition())
                    .setSourceOffset(p.getSourceOffset())
                    .setEventTime(p.getEventTime() == null ? null : Instant.ofEpochMilli(p.getEventTime()))
                    .setRecordTime(Instant.ofEpochMilli(p.getRecordTime()))
                    .setProcessingTime(Instant.ofEpochMilli(now))
                    .setMetadata(p.getMetadata())
                    .setModels(provenance)
                    .setTimings(Timings.newBuilder().setBatchWaitMs(Math.max(0, start - p.getArrivalMillis()))
                            .setInferenceMs(inferenceMs).setBatchSize(batch.size()).build());
            if (classes != null) {
                e.setClassification(classification(classes.get(i)));
            }
            if (entities != null) {
                e.setEntities(entities(entities.get(i)));
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
