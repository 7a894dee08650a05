package dev.enricher.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.DriverAwait;
import dev.enricher.TestModels;
import dev.enricher.avro.ClassificationResult;
import dev.enricher.avro.EnrichedEvent;
import dev.enricher.avro.TextEvent;
import dev.enricher.batching.BatchScheduler;
import dev.enricher.config.EnricherConfig;
import dev.enricher.engine.EnrichmentEngine;
import dev.enricher.engine.ModelFaults;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.serde.ConfluentAvro;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The production topology, built from a configuration, driven by {@link TopologyTestDriver}. */
class EnricherTopologyTest {
    static final String INPUT = "events";
    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

    private TopologyTestDriver driver;
    private EnrichmentEngine engine;
    private BatchScheduler scheduler;
    private final InProcessSchemaRegistry registry = new InProcessSchemaRegistry();
    private final Stalls stalls = new Stalls();
    private TestInputTopic<byte[], byte[]> input;
    private TestOutputTopic<byte[], EnrichedEvent> output;
    private TestOutputTopic<byte[], byte[]> dlq;

    static Map<String, Object> baseConfig(String format) {
        Map<String, Object> props = new HashMap<>();
        props.put(EnricherConfig.INPUT_TOPICS, INPUT);
        props.put(EnricherConfig.INPUT_FORMAT, format);
        props.put(EnricherConfig.CLASSIFIER_MODEL_DIR, TestModels.bundle(TestModels.MODERATION).toString());
        props.put(EnricherConfig.NER_MODEL_DIR, TestModels.bundle(TestModels.NER).toString());
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 4);
        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, 100);
        props.put(EnricherConfig.INPUT_MAX_CHARS, 50_000);
        return props;
    }

    private void start(Map<String, Object> props) {
        start(props, UnaryOperator.identity());
    }

    /** Starts the topology with every call into the models going through {@code faults}. */
    private void start(Map<String, Object> props, UnaryOperator<EnrichmentEngine.Inference> faults) {
        EnricherConfig config = new EnricherConfig(props);
        engine = dev.enricher.app.EnricherServiceAccess.openEngine(config);
        var serializer = new ConfluentAvro.AvroSerializer<EnrichedEvent>(registry, EnrichedEvent.getClassSchema());
        Properties streams = dev.enricher.app.EnricherService.streamsProperties(config);
        streams.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        streams.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/enricher-ttd");
        scheduler = EnricherTopology.scheduler(config, engine.withInference(faults), ProcessingMetrics.NONE, stalls);
        driver = new TopologyTestDriver(EnricherTopology.build(config, engine, scheduler, serializer, ProcessingMetrics.NONE,
                null, stalls), streams, T0);
        input = driver.createInputTopic(INPUT, new ByteArraySerializer(), new ByteArraySerializer(), T0, Duration.ofMillis(1));
        output = driver.createOutputTopic(config.getString(EnricherConfig.OUTPUT_TOPIC), new ByteArrayDeserializer(),
                new ConfluentAvro.AvroDeserializer<>(registry, EnrichedEvent.getClassSchema()));
        dlq = driver.createOutputTopic(config.getString(EnricherConfig.DLQ_TOPIC), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
        if (scheduler != null) {
            scheduler.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    private int pendingEvents() {
        int n = 0;
        try (var it = driver.<Long, Object>getKeyValueStore(EnricherTopology.PENDING_STORE).all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    private void await(String what, BooleanSupplier done) {
        DriverAwait.await(driver, what, done);
    }

    /** Waits until every stored event was written (exactly_once_v2 deletes an event as it is forwarded). */
    private void awaitAllWritten() {
        await("every pending event written", () -> pendingEvents() == 0);
    }

    @Test
    void jsonEventsAreEnrichedInBatchesWithKeysTimestampsAndHeadersKept() {
        start(baseConfig("json"));
        String[] texts = {"Barack Obama met Angela Merkel in Berlin.", "you are such an idiot lol",
                "WARN disk /var/lib/kafka is 91% full on host broker-3", "", "Café Amélie in Montréal 🗽"};
        for (int i = 0; i < texts.length; i++) {
            RecordHeaders headers = new RecordHeaders();
            headers.add("trace-id", ("t" + i).getBytes(StandardCharsets.UTF_8));
            String json = "{\"id\": \"e" + i + "\", \"text\": " + quote(texts[i]) + "}";
            input.pipeInput(new TestRecord<>(("k" + i).getBytes(StandardCharsets.UTF_8),
                    json.getBytes(StandardCharsets.UTF_8), headers, T0.plusSeconds(i)));
        }
        awaitAllWritten();
        assertEquals(0, pendingEvents());
        List<TestRecord<byte[], EnrichedEvent>> records = output.readRecordsToList();
        assertEquals(5, records.size());
        var expected = engine.classifier().orElseThrow().predict(List.of(texts));
        var expectedEntities = engine.ner().orElseThrow().predict(List.of(texts));
        for (int i = 0; i < texts.length; i++) {
            TestRecord<byte[], EnrichedEvent> r = records.get(i);
            EnrichedEvent e = r.value();
            assertEquals("e" + i, e.getId());
            assertArrayEquals(("k" + i).getBytes(StandardCharsets.UTF_8), r.key());
            assertEquals(T0.plusSeconds(i), r.getRecordTime());
            assertEquals("t" + i, new String(r.headers().lastHeader("trace-id").value(), StandardCharsets.UTF_8));
            assertEquals(texts[i], e.getText());
            assertEquals(INPUT, e.getSourceTopic());
            assertEquals(i, e.getSourceOffset());
            SequenceClassification.Result c = expected.get(i);
            assertEquals(1, e.getClassifications().size());
            ClassificationResult got = e.getClassifications().get(0);
            assertEquals(EnricherConfig.DEFAULT_CLASSIFIER, got.getTask());
            assertEquals(c.top().label(), got.getTopLabel());
            assertEquals(c.scores().size(), got.getScores().size());
            for (int k = 0; k < c.scores().size(); k++) {
                assertEquals(c.scores().get(k).label(), got.getScores().get(k).getLabel());
                assertEquals(c.scores().get(k).score(), got.getScores().get(k).getScore());
            }
            assertEquals(expectedEntities.get(i).entities().size(), e.getEntities().size());
            for (int k = 0; k < e.getEntities().size(); k++) {
                var want = expectedEntities.get(i).entities().get(k);
                var entity = e.getEntities().get(k);
                assertEquals(want.label(), entity.getEntityGroup());
                assertEquals(want.word(), entity.getWord());
                assertEquals(want.start(), entity.getStartOffset());
                assertEquals(want.end(), entity.getEndOffset());
            }
            assertEquals(TestModels.MODERATION, got.getModel().getBundle());
            assertEquals(engine.classifier().get().bundle().sha256(), got.getModel().getSha256());
            assertEquals("model.onnx", got.getModel().getFile());
            assertEquals("cpu", got.getModel().getDevice());
            assertEquals(TestModels.NER, e.getNer().getModel().getBundle());
            assertEquals(engine.ner().get().bundle().sha256(), e.getNer().getModel().getSha256());
            assertEquals(System.getProperty("enricher.build.version"), e.getServiceVersion());
            assertTrue(e.getTimings().getBatchSize() == 4 || e.getTimings().getBatchSize() == 1);
        }
        System.out.println("topology (json): 5 events enriched, batches of 4 + 1, equal to the pipelines' results");
    }

    @Test
    void aBatchClosesOnItsTokenBudgetBeforeItIsFull() {
        Map<String, Object> props = baseConfig("text");
        props.put(EnricherConfig.BATCH_MAX_RECORDS, 100);
        props.put(EnricherConfig.BATCH_MAX_TOKENS, 200);
        props.put(EnricherConfig.BATCH_MAX_DELAY_MS, 60_000);
        start(props);
        String longText = "word ".repeat(60);
        assertEquals(62, EnrichmentEngine.Event.tokenCount(engine.tokenize(longText)), "60 words and 2 special tokens");
        for (int i = 0; i < 4; i++) {
            input.pipeInput(null, longText.getBytes(StandardCharsets.UTF_8));
        }
        await("a batch closed by its token budget", () -> output.getQueueSize() >= 3);
        List<EnrichedEvent> out = output.readValuesToList();
        assertEquals(3, out.size(), "four events of 62 tokens reach the 200-token budget; three fit in it");
        assertEquals(List.of(3, 3, 3), out.stream().map(e -> e.getTimings().getBatchSize()).toList());
        assertEquals(1, pendingEvents(), "the fourth waits for the next batch (a 60 s delay)");
    }

    @Test
    void topicsMatchingAPatternAreRead() {
        Map<String, Object> props = baseConfig("text");
        props.remove(EnricherConfig.INPUT_TOPICS);
        props.put(EnricherConfig.INPUT_TOPIC_PATTERN, "ev.*");
        start(props);
        TestInputTopic<byte[], byte[]> other = driver.createInputTopic("events-eu", new ByteArraySerializer(),
                new ByteArraySerializer());
        other.pipeInput(null, "from the second topic".getBytes(StandardCharsets.UTF_8));
        input.pipeInput(null, "from the first topic".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        List<EnrichedEvent> out = output.readValuesToList();
        assertEquals(List.of("events-eu", INPUT), out.stream().map(EnrichedEvent::getSourceTopic).toList());
    }

    @Test
    void textEventsGetIdsFromTheirPosition() {
        start(baseConfig("text"));
        input.pipeInput(null, "plain text event".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        EnrichedEvent e = output.readValue();
        assertEquals(INPUT + "-0-0", e.getId());
        assertEquals("plain text event", e.getText());
    }

    @Test
    void avroEventsPlainAndConfluentFramed() throws Exception {
        start(baseConfig("avro"));
        TextEvent event = TextEvent.newBuilder().setId("a1").setText("Apple Inc. is opening a new office in London")
                .setMetadata(Map.of("source", "chat")).setEventTime(T0).build();
        byte[] plain = avro(event);
        byte[] framed = ByteBuffer.allocate(5 + plain.length).put((byte) 0).putInt(7).put(plain).array();
        input.pipeInput(null, plain);
        input.pipeInput(null, framed);
        awaitAllWritten();
        List<EnrichedEvent> out = output.readValuesToList();
        assertEquals(2, out.size(), "both encodings are read");
        for (EnrichedEvent e : out) {
            assertEquals("a1", e.getId());
            assertEquals(Map.of("source", "chat"), e.getMetadata());
            assertEquals(T0, e.getEventTime());
            assertEquals(event.getText(), e.getText());
        }
        assertTrue(dlq.isEmpty());
    }

    @Test
    void badInputGoesToTheDeadLetterTopicWithItsReasonAndProcessingGoesOn() {
        start(baseConfig("json"));
        byte[][] bad = {
            "{not json".getBytes(StandardCharsets.UTF_8),
            "{\"id\": \"x\"}".getBytes(StandardCharsets.UTF_8),
            {(byte) '{', (byte) 0xC3, (byte) 0x28, (byte) '}'},
            null,
            ("{\"text\": \"" + "a".repeat(60_000) + "\"}").getBytes(StandardCharsets.UTF_8),
            "[1,2,3]".getBytes(StandardCharsets.UTF_8),
        };
        String[] reasons = {"deserialization", "validation", "deserialization", "validation", "oversize", "validation"};
        for (byte[] value : bad) {
            input.pipeInput("key".getBytes(StandardCharsets.UTF_8), value);
        }
        input.pipeInput(null, "{\"text\": \"\"}".getBytes(StandardCharsets.UTF_8));
        input.pipeInput(null, "{\"text\": \"still going\"}".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        assertEquals(bad.length, dead.size());
        for (int i = 0; i < bad.length; i++) {
            var r = dead.get(i);
            assertEquals(reasons[i], DeadLetters.header(r.headers(), DeadLetters.REASON_HEADER), "record " + i);
            assertEquals(INPUT, DeadLetters.header(r.headers(), DeadLetters.TOPIC_HEADER));
            assertEquals("0", DeadLetters.header(r.headers(), DeadLetters.PARTITION_HEADER));
            assertEquals(Integer.toString(i), DeadLetters.header(r.headers(), DeadLetters.OFFSET_HEADER));
            assertTrue(DeadLetters.header(r.headers(), DeadLetters.MESSAGE_HEADER).length() > 5);
            assertArrayEquals(bad[i], r.value(), "original bytes of record " + i);
            System.out.println("dead letter " + i + ": " + reasons[i] + ": "
                    + DeadLetters.header(r.headers(), DeadLetters.MESSAGE_HEADER));
        }
        List<EnrichedEvent> good = output.readValuesToList();
        assertEquals(2, good.size(), "the empty text has a defined output, and processing went on");
        assertEquals("", good.get(0).getText());
        assertEquals(6, good.get(0).getClassifications().get(0).getScores().size());
        assertEquals("still going", good.get(1).getText());
    }

    @Test
    void eventsOverARouteThresholdAlsoGoToTheRouteTopic() {
        Map<String, Object> props = baseConfig("json");
        props.put(EnricherConfig.OUTPUT_ROUTES, "toxic:0.0:review,insult:1.01:never,threat:0.0:review");
        start(props);
        TestOutputTopic<byte[], EnrichedEvent> review = driver.createOutputTopic("review", new ByteArrayDeserializer(),
                new ConfluentAvro.AvroDeserializer<>(registry, EnrichedEvent.getClassSchema()));
        TestOutputTopic<byte[], EnrichedEvent> never = driver.createOutputTopic("never", new ByteArrayDeserializer(),
                new ConfluentAvro.AvroDeserializer<>(registry, EnrichedEvent.getClassSchema()));
        input.pipeInput(null, "{\"id\": \"r1\", \"text\": \"you are such an idiot lol\"}".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        assertEquals("r1", output.readValue().getId());
        List<EnrichedEvent> routed = review.readValuesToList();
        assertEquals(1, routed.size(), "two routes to the same topic send the event once");
        assertEquals("r1", routed.get(0).getId());
        assertTrue(never.isEmpty());
    }

    @Test
    void severalClassifiersEachWriteTheirResultAndARouteReadsOnlyTheClassifierItNames() {
        Map<String, Object> props = baseConfig("json");
        props.remove(EnricherConfig.CLASSIFIER_MODEL_DIR);
        props.put(EnricherConfig.CLASSIFIERS, "moderation,sentiment");
        props.put("classifier.moderation.model.dir", TestModels.bundle(TestModels.MODERATION).toString());
        props.put("classifier.sentiment.model.dir", TestModels.bundle(TestModels.SENTIMENT).toString());
        props.put(EnricherConfig.OUTPUT_ROUTES, "moderation:toxic:0.0:review,sentiment:toxic:0.0:never");
        start(props);
        TestOutputTopic<byte[], EnrichedEvent> review = driver.createOutputTopic("review", new ByteArrayDeserializer(),
                new ConfluentAvro.AvroDeserializer<>(registry, EnrichedEvent.getClassSchema()));
        TestOutputTopic<byte[], EnrichedEvent> never = driver.createOutputTopic("never", new ByteArrayDeserializer(),
                new ConfluentAvro.AvroDeserializer<>(registry, EnrichedEvent.getClassSchema()));
        input.pipeInput(null, "{\"id\": \"r1\", \"text\": \"you are such an idiot lol\"}".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        EnrichedEvent e = output.readValue();
        assertEquals(List.of("moderation", "sentiment"),
                e.getClassifications().stream().map(ClassificationResult::getTask).toList());
        assertEquals(TestModels.MODERATION, e.getClassifications().get(0).getModel().getBundle());
        assertEquals(TestModels.SENTIMENT, e.getClassifications().get(1).getModel().getBundle());
        assertEquals(List.of("r1"), review.readValuesToList().stream().map(EnrichedEvent::getId).toList());
        assertTrue(never.isEmpty(), "sentiment has no label toxic; moderation's toxic score is not read by that route");
    }

    @Test
    void textIsLeftOutWhenConfigured() {
        Map<String, Object> props = baseConfig("text");
        props.put(EnricherConfig.OUTPUT_INCLUDE_TEXT, false);
        start(props);
        input.pipeInput(null, "secret text".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        assertNull(output.readValue().getText());
    }

    private List<TestRecord<byte[], byte[]>> deadLetters(int expected) {
        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        assertEquals(expected, dead.size(), "dead letters");
        return dead;
    }

    @Test
    void anInputRecordTooLargeForThePendingStoreBecomesACompactDeadLetter() {
        Map<String, Object> props = baseConfig("text");
        props.put(EnricherConfig.OUTPUT_MAX_BYTES, 16_384);
        start(props);
        byte[] big = "x".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        input.pipeInput("k".getBytes(StandardCharsets.UTF_8), big);
        input.pipeInput(null, "the next one".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        TestRecord<byte[], byte[]> letter = deadLetters(1).get(0);
        assertEquals("too_large", DeadLetters.header(letter.headers(), DeadLetters.REASON_HEADER));
        assertEquals("0", DeadLetters.header(letter.headers(), DeadLetters.OFFSET_HEADER));
        assertEquals("key=1 value=20000 headers=0", DeadLetters.header(letter.headers(), DeadLetters.TRUNCATED_HEADER));
        assertArrayEquals(java.util.Arrays.copyOf(big, DeadLetters.COMPACT_PREFIX_BYTES), letter.value());
        assertTrue(DeadLetters.header(letter.headers(), DeadLetters.MESSAGE_HEADER).contains("output.max.bytes=16384"));
        assertEquals(List.of("the next one"), output.readValuesToList().stream().map(EnrichedEvent::getText).toList());
        assertEquals(0, pendingEvents());
    }

    @Test
    void anEnrichedEventOverOutputMaxBytesBecomesADeadLetterAndProcessingGoesOn() {
        Map<String, Object> props = baseConfig("text");
        props.put(EnricherConfig.OUTPUT_MAX_BYTES, 16_384);
        start(props);
        // 15,000 bytes fit in the store (records are kept under 15,791 bytes; this one takes at most 15,262 with its
        // framing); the enriched event carries the same text plus scores, entities and two 64-character hashes
        String manyTokens = "word ".repeat(3_000);
        input.pipeInput(null, manyTokens.getBytes(StandardCharsets.UTF_8));
        input.pipeInput(null, "ok".getBytes(StandardCharsets.UTF_8));
        awaitAllWritten();
        TestRecord<byte[], byte[]> letter = deadLetters(1).get(0);
        assertEquals("too_large", DeadLetters.header(letter.headers(), DeadLetters.REASON_HEADER));
        assertNull(DeadLetters.header(letter.headers(), DeadLetters.TRUNCATED_HEADER), "the original fits: kept whole");
        assertArrayEquals(manyTokens.getBytes(StandardCharsets.UTF_8), letter.value());
        String message = DeadLetters.header(letter.headers(), DeadLetters.MESSAGE_HEADER);
        assertTrue(message.contains("enriched event of about") && message.contains("output.max.bytes=16384"), message);
        assertEquals(List.of("ok"), output.readValuesToList().stream().map(EnrichedEvent::getText).toList());
        System.out.println("too large for the output: " + message);
    }

    @Test
    void aDeadLetterOverTheLimitIsSentCompactWithItsReason() {
        Map<String, Object> props = baseConfig("json");
        props.put(EnricherConfig.OUTPUT_MAX_BYTES, 16_384);
        start(props);
        // fits in the store (at most 15,712 bytes there), but not with the dead-letter headers added
        byte[] notJson = ("{" + "y".repeat(15_449)).getBytes(StandardCharsets.UTF_8);
        input.pipeInput(null, notJson);
        awaitAllWritten();
        TestRecord<byte[], byte[]> letter = deadLetters(1).get(0);
        assertEquals("deserialization", DeadLetters.header(letter.headers(), DeadLetters.REASON_HEADER));
        assertEquals("key=0 value=15450 headers=0", DeadLetters.header(letter.headers(), DeadLetters.TRUNCATED_HEADER));
        assertEquals(DeadLetters.COMPACT_PREFIX_BYTES, letter.value().length);
    }

    @Test
    void aHostileAvroLengthPrefixIsDeadLetteredWithoutAllocatingIt() {
        start(baseConfig("avro"));
        // TextEvent: id = union branch 1 (string) whose length prefix claims 2,147,483,639 bytes
        byte[] hostile = {0x02, (byte) 0xEE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 'a', 'b', 'c'};
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        input.pipeInput(null, hostile);
        awaitAllWritten();
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        TestRecord<byte[], byte[]> letter = deadLetters(1).get(0);
        String message = DeadLetters.header(letter.headers(), DeadLetters.MESSAGE_HEADER);
        System.out.println("hostile Avro record: " + allocated / 1024 + " KiB allocated; " + message);
        assertEquals("deserialization", DeadLetters.header(letter.headers(), DeadLetters.REASON_HEADER));
        assertTrue(message.contains("2147483639"), message);
        assertTrue(allocated < 64L << 20, "no 2 GiB buffer: " + allocated + " bytes allocated");
    }

    @Test
    void modelsFailingOnEveryInputKeepTheEventsPendingUntilTheyRecover() {
        ModelFaults faults = ModelFaults.failFirst(8);
        start(baseConfig("text"), faults);
        for (int i = 0; i < 3; i++) {
            input.pipeInput(null, ("event " + i).getBytes(StandardCharsets.UTF_8));
        }
        await("the models marked failing", stalls::any);
        assertEquals(0, output.getQueueSize(), "nothing enriched while the models fail");
        assertTrue(dlq.isEmpty(), "nothing dead-lettered for a fault of the models");
        assertEquals(3, pendingEvents(), "the events wait in the store");
        assertEquals(Map.of(EnricherTopology.MODELS, "engine: " + stalls.causes().get(EnricherTopology.MODELS)
                .substring("engine: ".length())), stalls.causes(), "the models are marked failing (not ready)");
        awaitAllWritten();
        List<EnrichedEvent> out = output.readValuesToList();
        assertEquals(3, out.size(), "all enriched once the fault passed");
        assertEquals(List.of("event 0", "event 1", "event 2"), out.stream().map(EnrichedEvent::getText).toList());
        assertTrue(dlq.isEmpty());
        assertEquals(0, pendingEvents());
        assertTrue(!stalls.any(), "ready again");
        System.out.println("models failing " + faults.failures() + " calls: 0 dead letters, 3 enriched after recovery");
    }

    @Test
    void anEventTheModelsFailOnAloneIsDeadLetteredAndTheOthersAreEnriched() {
        start(baseConfig("text"), ModelFaults.failOn("poison"));
        for (String text : new String[] {"before", "poison", "after"}) {
            input.pipeInput(null, text.getBytes(StandardCharsets.UTF_8));
        }
        awaitAllWritten();
        TestRecord<byte[], byte[]> letter = deadLetters(1).get(0);
        assertEquals("inference", DeadLetters.header(letter.headers(), DeadLetters.REASON_HEADER));
        assertArrayEquals("poison".getBytes(StandardCharsets.UTF_8), letter.value());
        assertEquals("1", DeadLetters.header(letter.headers(), DeadLetters.OFFSET_HEADER));
        assertEquals(List.of("before", "after"), output.readValuesToList().stream().map(EnrichedEvent::getText).toList());
        assertTrue(!stalls.any());
    }

    @Test
    void underAtLeastOnceForwardedEventsLeaveTheStoreOnlyAfterACommit() {
        Map<String, Object> props = baseConfig("text");
        props.put(EnricherConfig.PROCESSING_GUARANTEE, "at_least_once");
        start(props);
        input.pipeInput(null, "first".getBytes(StandardCharsets.UTF_8));
        await("the first forwarded", () -> output.getQueueSize() == 1);
        assertEquals(1, pendingEvents(), "kept until a commit has flushed its output");
        input.pipeInput(null, "second".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, pendingEvents(), "the driver committed after the punctuation: the first is deleted");
        await("the second forwarded", () -> output.getQueueSize() == 2);
        assertEquals(List.of("first", "second"), output.readValuesToList().stream().map(EnrichedEvent::getText).toList());
    }

    static byte[] avro(TextEvent event) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(TextEvent.getClassSchema()).write(event, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    static String quote(String s) throws RuntimeException {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
