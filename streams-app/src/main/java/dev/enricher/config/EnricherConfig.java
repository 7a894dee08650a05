package dev.enricher.config;

import dev.enricher.inference.Aggregation;
import dev.enricher.inference.ClassificationFunction;
import dev.enricher.inference.InferenceSettings;
import dev.enricher.inference.SequenceClassification;
import dev.enricher.inference.TokenClassification;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The service's configuration, in Kafka's {@link ConfigDef} style: every key typed, defaulted, validated and
 * documented. Read from a properties file, then overridden by environment variables {@code ENRICHER_<KEY>} (key
 * upper-cased, dots as underscores). Keys starting with {@code kafka.} pass to Kafka Streams without the
 * prefix (e.g. {@code kafka.commit.interval.ms}). Immutable; a bad value fails construction with a {@link
 * ConfigException} naming the key, the value and what was expected.
 */
public final class EnricherConfig extends AbstractConfig {
    public static final String ENV_PREFIX = "ENRICHER_";
    public static final String KAFKA_PREFIX = "kafka.";

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String APPLICATION_ID = "application.id";
    public static final String INPUT_TOPICS = "input.topics";
    public static final String INPUT_TOPIC_PATTERN = "input.topic.pattern";
    public static final String INPUT_FORMAT = "input.format";
    public static final String INPUT_JSON_TEXT_FIELD = "input.json.text.field";
    public static final String INPUT_JSON_ID_FIELD = "input.json.id.field";
    public static final String INPUT_MAX_CHARS = "input.max.chars";
    public static final String OUTPUT_TOPIC = "output.topic";
    public static final String OUTPUT_INCLUDE_TEXT = "output.include.text";
    public static final String OUTPUT_ROUTES = "output.routes";
    public static final String OUTPUT_MAX_BYTES = "output.max.bytes";
    public static final String DLQ_TOPIC = "dlq.topic";
    public static final String CLASSIFIERS = "classifiers";
    public static final String CLASSIFIER_PREFIX = "classifier.";
    public static final String CLASSIFIER_MODEL_DIR = "classifier.model.dir";
    public static final String CLASSIFIER_FUNCTION = "classifier.function";
    public static final String CLASSIFIER_TOP_K = "classifier.top.k";
    public static final String CLASSIFIER_LONG_TEXT = "classifier.long.text";
    public static final String CLASSIFIER_STRIDE = "classifier.stride";
    public static final String CLASSIFIER_THRESHOLD = "classifier.threshold";
    public static final String CLASSIFIER_LABEL_THRESHOLDS = "classifier.label.thresholds";
    public static final String NER_MODEL_DIR = "ner.model.dir";
    public static final String NER_AGGREGATION = "ner.aggregation";
    public static final String NER_WINDOWS = "ner.windows";
    public static final String NER_STRIDE = "ner.stride";
    public static final String NER_IGNORE_LABELS = "ner.ignore.labels";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String NUM_STREAM_THREADS = "num.stream.threads";
    public static final String STATE_DIR = "state.dir";
    public static final String BATCH_MAX_RECORDS = "batch.max.records";
    public static final String BATCH_MAX_TOKENS = "batch.max.tokens";
    public static final String BATCH_MAX_DELAY_MS = "batch.max.delay.ms";
    public static final String BATCH_MIN_PADDING_EFFICIENCY = "batch.min.padding.efficiency";
    public static final String BATCH_MAX_RUN_SEQUENCES = "batch.max.run.sequences";
    public static final String BATCH_MAX_QUEUED_EVENTS = "batch.max.queued.events";
    public static final String INFERENCE_BATCHES_IN_FLIGHT = "inference.batches.in.flight";
    public static final String INFERENCE_DEVICE = "inference.device";
    public static final String INFERENCE_DEVICE_ID = "inference.device.id";
    public static final String INFERENCE_FALLBACK = "inference.fallback";
    public static final String INFERENCE_THREADS = "inference.threads";
    public static final String INFERENCE_SPINNING = "inference.spinning";
    public static final String INFERENCE_PRECISION = "inference.precision";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String SCHEMA_REGISTRY_AUTO_REGISTER = "schema.registry.auto.register";
    public static final String SCHEMA_REGISTRY_SUBJECT_VERSION = "schema.registry.subject.version";
    public static final String SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY = "schema.registry.subject.name.strategy";
    public static final String SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String SCHEMA_REGISTRY_BEARER_TOKEN = "schema.registry.bearer.token";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String SCHEMA_REGISTRY_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";
    public static final String SCHEMA_REGISTRY_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";
    public static final String SCHEMA_REGISTRY_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
    public static final String SCHEMA_REGISTRY_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";
    public static final String SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String SCHEMA_REGISTRY_STARTUP_TIMEOUT_MS = "schema.registry.startup.timeout.ms";
    public static final String SCHEMA_REGISTRY_RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";
    public static final String OUTPUT_VALUE_SERDE = "output.value.serde";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_BIND_ADDRESS = "http.bind.address";
    public static final String LOG_FORMAT = "log.format";
    public static final String SHUTDOWN_TIMEOUT_MS = "shutdown.timeout.ms";
    public static final String HEALTH_STALL_TIMEOUT_MS = "health.stall.timeout.ms";

    public enum InputFormat { JSON, TEXT, AVRO }

    /** The name of the topology's pending store; its changelog topic is {@link #pendingChangelogTopic()}. */
    public static final String PENDING_STORE = "pending-events";

    /** Prefixes Kafka Streams strips to pass a setting to one of its clients (e.g. {@code producer.}). */
    private static final List<String> STREAMS_CLIENT_PREFIXES = List.of(StreamsConfig.PRODUCER_PREFIX,
            StreamsConfig.CONSUMER_PREFIX, StreamsConfig.MAIN_CONSUMER_PREFIX, StreamsConfig.RESTORE_CONSUMER_PREFIX,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX, StreamsConfig.ADMIN_CLIENT_PREFIX);

    /** Keys of type PASSWORD in the definitions of Kafka Streams and its producer, consumer and admin clients. */
    private static final Set<String> KAFKA_PASSWORD_KEYS = kafkaPasswordKeys();

    /** The task name of the one classifier configured by classifier.model.dir alone. */
    public static final String DEFAULT_CLASSIFIER = "classifier";

    /** Suffixes of a named classifier's keys, {@code classifier.<name>.<suffix>}. */
    static final String MODEL_DIR = "model.dir";
    static final String FUNCTION = "function";
    static final String TOP_K = "top.k";
    static final String LONG_TEXT = "long.text";
    static final String STRIDE = "stride";
    static final String THRESHOLD = "threshold";
    static final String LABEL_THRESHOLDS = "label.thresholds";
    private static final List<String> CLASSIFIER_SUFFIXES =
            List.of(MODEL_DIR, FUNCTION, TOP_K, LONG_TEXT, STRIDE, THRESHOLD, LABEL_THRESHOLDS);

    private static final ValidString FUNCTIONS = ValidString.in("default", "sigmoid", "softmax", "none");
    private static final ValidString LONG_TEXTS = ValidString.in("truncate", "window_mean", "window_max");
    private static final String FUNCTION_DOC = "Function applied to the logits; default follows the bundle's "
            + "problem_type as transformers does.";
    private static final String TOP_K_DOC = "Labels kept per event, best first; 0 keeps all.";
    private static final String LONG_TEXT_DOC = "Texts longer than the model: truncate (as transformers), or "
            + "classify every window and combine scores by mean or max (max keeps an insult at the end of a long "
            + "message).";
    private static final String STRIDE_DOC = "Token overlap of windows with long.text=window_*.";
    private static final String THRESHOLD_DOC = "Score at or over which a label is listed in labels_over_threshold.";
    private static final String LABEL_THRESHOLDS_DOC = "Per-label thresholds overriding the threshold, as "
            + "label:threshold entries.";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.LIST, "localhost:9092", Importance.HIGH,
                    "Kafka brokers, host:port[,host:port...].")
            .define(APPLICATION_ID, Type.STRING, "enricher", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka Streams application id: consumer group, prefix of internal topics and transactional ids.")
            .define(INPUT_TOPICS, Type.LIST, List.of(), Importance.HIGH,
                    "Topics to read. Exactly one of input.topics and input.topic.pattern must be set.")
            .define(INPUT_TOPIC_PATTERN, Type.STRING, "", Importance.MEDIUM,
                    "Regular expression of topics to read, instead of input.topics.")
            .define(INPUT_FORMAT, Type.STRING, "json", ValidString.in("json", "text", "avro"), Importance.HIGH,
                    "Input values: json (an object with a text field), text (the UTF-8 value is the text) or avro "
                            + "(TextEvent, plain Avro binary or the Confluent wire format).")
            .define(INPUT_JSON_TEXT_FIELD, Type.STRING, "text", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "With input.format=json: the field holding the text.")
            .define(INPUT_JSON_ID_FIELD, Type.STRING, "id", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "With input.format=json: the field holding the event id (optional in each event).")
            .define(INPUT_MAX_CHARS, Type.INT, 100_000, Range.between(1, 10_000_000), Importance.MEDIUM,
                    "Longer texts go to the dead-letter topic with reason 'oversize'.")
            .define(OUTPUT_TOPIC, Type.STRING, "enriched", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Topic of the EnrichedEvent records.")
            .define(OUTPUT_INCLUDE_TEXT, Type.BOOLEAN, true, Importance.LOW,
                    "Copy the text into each EnrichedEvent.")
            .define(OUTPUT_ROUTES, Type.LIST, List.of(), Importance.MEDIUM,
                    "Extra topics for events whose score for a label reaches a threshold, as "
                            + "classifier:label:threshold:topic entries naming the classifier whose scores the route "
                            + "reads, e.g. toxicity:toxic:0.8:review,spam:spam:0.9:review. With one classifier, "
                            + "label:threshold:topic reads that one.")
            .define(OUTPUT_MAX_BYTES, Type.INT, 1_048_576, Range.between(16_384, 64 << 20), Importance.MEDIUM,
                    "Largest record the service writes (output, route, dead-letter and pending-store changelog "
                            + "topics; key, value, headers and batch framing counted). A larger one becomes a compact "
                            + "dead letter (reason too_large, or its own reason with the truncated header). Checked at "
                            + "start against each topic's max.message.bytes; also the producer's max.request.size and "
                            + "the changelog topic's max.message.bytes.")
            .define(DLQ_TOPIC, Type.STRING, "enricher-dlq", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Dead-letter topic: input that cannot be enriched, with its original bytes and the reason in "
                            + "headers.")
            .define(CLASSIFIERS, Type.LIST, List.of(), new ClassifierNames(), Importance.HIGH,
                    "Names of the sequence classifiers run on each event, in output order, e.g. "
                            + "toxicity,spam,language; each name is the task of its result in the record's "
                            + "classifications. Each classifier's keys are classifier.<name>.model.dir (required), "
                            + "and optionally classifier.<name>.function, .top.k, .long.text, .stride, .threshold and "
                            + ".label.thresholds, which default to the classifier.* key of the same suffix. Names: "
                            + "lower-case letters, digits and _, starting with a letter, not ner. Empty: one "
                            + "classifier named classifier when classifier.model.dir is set, else none.")
            .define(CLASSIFIER_MODEL_DIR, Type.STRING, "", Importance.HIGH,
                    "Bundle folder of the one classifier (named classifier) when classifiers is empty; empty for "
                            + "none. Must be empty when classifiers is set. At least one classifier or ner.model.dir "
                            + "is needed.")
            .define(CLASSIFIER_FUNCTION, Type.STRING, "default", FUNCTIONS, Importance.MEDIUM, FUNCTION_DOC
                    + " Default of every classifier.<name>.function.")
            .define(CLASSIFIER_TOP_K, Type.INT, 0, Range.atLeast(0), Importance.LOW, TOP_K_DOC
                    + " Default of every classifier.<name>.top.k.")
            .define(CLASSIFIER_LONG_TEXT, Type.STRING, "truncate", LONG_TEXTS, Importance.MEDIUM, LONG_TEXT_DOC
                    + " Default of every classifier.<name>.long.text.")
            .define(CLASSIFIER_STRIDE, Type.INT, 32, Range.atLeast(0), Importance.LOW, STRIDE_DOC
                    + " Default of every classifier.<name>.stride.")
            .define(CLASSIFIER_THRESHOLD, Type.DOUBLE, 0.5, Importance.MEDIUM, THRESHOLD_DOC
                    + " Default of every classifier.<name>.threshold.")
            .define(CLASSIFIER_LABEL_THRESHOLDS, Type.LIST, List.of(), Importance.LOW, LABEL_THRESHOLDS_DOC
                    + " Default of every classifier.<name>.label.thresholds.")
            .define(NER_MODEL_DIR, Type.STRING, "", Importance.HIGH,
                    "Token-classifier bundle folder; empty for none.")
            .define(NER_AGGREGATION, Type.STRING, "simple", ValidString.in("none", "simple", "first", "average", "max"),
                    Importance.MEDIUM, "How tokens become entities (transformers' aggregation_strategy).")
            .define(NER_WINDOWS, Type.STRING, "transformers", ValidString.in("truncate", "transformers", "full"),
                    Importance.MEDIUM, "Texts longer than the model: truncate, transformers (the windows "
                            + "transformers 5.17 runs with ner.stride: parity) or full (windows over the whole text).")
            .define(NER_STRIDE, Type.INT, 32, Range.atLeast(0), Importance.LOW,
                    "Token overlap of NER windows.")
            .define(NER_IGNORE_LABELS, Type.LIST, List.of("O"), Importance.LOW,
                    "Entity labels not reported.")
            .define(PROCESSING_GUARANTEE, Type.STRING, "exactly_once_v2", ValidString.in("at_least_once", "exactly_once_v2"),
                    Importance.HIGH, "Kafka Streams processing guarantee. exactly_once_v2 (default) commits pending "
                            + "events, outputs and offsets in one transaction; at_least_once may repeat outputs after "
                            + "a crash.")
            .define(NUM_STREAM_THREADS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                    "Stream threads; all share one inference engine.")
            .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/enricher-state", Importance.LOW,
                    "Kafka Streams state directory.")
            .define(BATCH_MAX_RECORDS, Type.INT, 32, Range.between(1, 4096), Importance.HIGH,
                    "A batch closes when this many events are queued. One process-wide scheduler gathers the "
                            + "events of every partition and stream thread into batches.")
            .define(BATCH_MAX_TOKENS, Type.INT, 8192, Range.atLeast(16), Importance.MEDIUM,
                    "A batch also closes when its queued events' tokens (counted as the stream threads tokenize "
                            + "them) reach this, and holds at most this many padded tokens (events x longest); each "
                            + "model run stays within it exactly.")
            .define(BATCH_MAX_DELAY_MS, Type.INT, 20, Range.between(0, 60_000), Importance.HIGH,
                    "A batch closes when its oldest event has waited this long.")
            .define(BATCH_MAX_QUEUED_EVENTS, Type.INT, 0, Range.between(0, 1 << 20), Importance.LOW,
                    "Most events queued or running in the scheduler at once, for the whole process; at least "
                            + "batch.max.records. When it is full, a stream thread waits up to 100 ms per record for "
                            + "room, then leaves the record in its task's pending store to hand over later. 0: 4 x "
                            + "batch.max.records x inference.batches.in.flight, at least 1024.")
            .define(INFERENCE_BATCHES_IN_FLIGHT, Type.INT, 1, Range.between(1, 16), Importance.MEDIUM,
                    "Batches running at once, each on its own inference thread, so that filling tensors and "
                            + "post-processing of one overlap the model run of another. 1 on CPU (a run already uses "
                            + "inference.threads cores); 2-3 on a GPU.")
            .define(BATCH_MAX_RUN_SEQUENCES, Type.INT, 32, Range.between(1, 4096), Importance.LOW,
                    "Most windows in one model run. batch.max.records sets how many events are sorted by length "
                            + "together; on CPU, more events than this per batch cut padding without larger runs.")
            .define(BATCH_MIN_PADDING_EFFICIENCY, Type.DOUBLE, 0.9, Range.between(0, 1), Importance.LOW,
                    "A batch's length-sorted texts are split into model runs so that real tokens / padded tokens "
                            + "stays at or above this; 0 runs each batch whole (for GPUs, where batch size matters more).")
            .define(INFERENCE_DEVICE, Type.STRING, "cpu", ValidString.in("cpu", "cuda", "tensorrt"), Importance.HIGH,
                    "ONNX Runtime execution provider. cuda and tensorrt need the GPU build (Maven profile gpu).")
            .define(INFERENCE_DEVICE_ID, Type.INT, 0, Range.atLeast(0), Importance.LOW, "GPU ordinal.")
            .define(INFERENCE_FALLBACK, Type.STRING, "fail", ValidString.in("fail", "cpu"), Importance.MEDIUM,
                    "When the GPU provider cannot be loaded: fail at start, or run on CPU with a warning.")
            .define(INFERENCE_THREADS, Type.INT, 1, Range.between(1, 256), Importance.MEDIUM,
                    "ONNX Runtime intra-op threads per model run.")
            .define(INFERENCE_SPINNING, Type.BOOLEAN, false, Importance.LOW,
                    "Let idle ONNX Runtime threads spin; off is faster on small or busy machines.")
            .define(INFERENCE_PRECISION, Type.STRING, "exact", ValidString.in("exact", "fast"), Importance.MEDIUM,
                    "exact: the fp32 model.onnx with TF32 off, outputs equal to transformers (default). fast: the "
                            + "bundle's model_quantized.onnx on CPU (a CPU fallback included) and model_fp16.onnx on "
                            + "cuda and tensorrt when present, else model.onnx with TF32 on CUDA and fp16 TensorRT "
                            + "engines (model.onnx on CPU is exact). The file that ran and the precision are stated "
                            + "in every output record.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, "", Importance.HIGH,
                    "Base URL of a schema registry speaking the Confluent REST API (Confluent, Apicurio's "
                            + "/apis/ccompat/v7, Karapace, Redpanda). Empty: schema ids are assigned in-process (same "
                            + "wire format, ids not shared with consumers: the run command warns).")
            .define(SCHEMA_REGISTRY_AUTO_REGISTER, Type.BOOLEAN, true, Importance.MEDIUM,
                    "true: register the output schema (EnrichedEvent) under each written topic's subject at start, as "
                            + "Confluent's auto.register.schemas. false: register nothing; use the version "
                            + "schema.registry.subject.version of each subject, which must exist and be a schema the "
                            + "service can write (the same in Avro's canonical form, or one that reads the service's "
                            + "schema: records are then resolved into it), else the start fails. Needs "
                            + "schema.registry.url.")
            .define(SCHEMA_REGISTRY_SUBJECT_VERSION, Type.STRING, "latest", new SubjectVersion(), Importance.LOW,
                    "With schema.registry.auto.register=false: the subject version written with, 'latest' (as "
                            + "Confluent's use.latest.version) or a version number; read once at start.")
            .define(SCHEMA_REGISTRY_SUBJECT_NAME_STRATEGY, Type.STRING, "topic",
                    ValidString.in("topic", "record", "topic_record"), Importance.MEDIUM,
                    "Subject of the output schema, as Confluent's value.subject.name.strategy: topic "
                            + "(TopicNameStrategy, <topic>-value), record (RecordNameStrategy, "
                            + "dev.enricher.avro.EnrichedEvent) or topic_record (TopicRecordNameStrategy, "
                            + "<topic>-dev.enricher.avro.EnrichedEvent). Applies to the output and route topics; "
                            + "dead letters keep the input's bytes and register nothing.")
            .define(SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO, Type.PASSWORD, null, Importance.MEDIUM,
                    "user:password for HTTP basic authentication to the registry.")
            .define(SCHEMA_REGISTRY_BEARER_TOKEN, Type.PASSWORD, null, Importance.MEDIUM,
                    "Token sent as 'Authorization: Bearer' to the registry.")
            .define(SCHEMA_REGISTRY_TRUSTSTORE_LOCATION, Type.STRING, "", Importance.LOW,
                    "Trust store for TLS to the registry; empty uses the JVM's default trust.")
            .define(SCHEMA_REGISTRY_TRUSTSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW, "Trust store password.")
            .define(SCHEMA_REGISTRY_TRUSTSTORE_TYPE, Type.STRING, "PKCS12", ValidString.in("PKCS12", "JKS"),
                    Importance.LOW, "Trust store type.")
            .define(SCHEMA_REGISTRY_KEYSTORE_LOCATION, Type.STRING, "", Importance.LOW,
                    "Key store for mutual TLS to the registry; empty for none.")
            .define(SCHEMA_REGISTRY_KEYSTORE_PASSWORD, Type.PASSWORD, null, Importance.LOW, "Key store password.")
            .define(SCHEMA_REGISTRY_KEYSTORE_TYPE, Type.STRING, "PKCS12", ValidString.in("PKCS12", "JKS"),
                    Importance.LOW, "Key store type.")
            .define(SCHEMA_REGISTRY_REQUEST_TIMEOUT_MS, Type.INT, 10_000, Range.atLeast(100), Importance.LOW,
                    "Timeout of one registry request.")
            .define(SCHEMA_REGISTRY_STARTUP_TIMEOUT_MS, Type.INT, 60_000, Range.atLeast(0), Importance.MEDIUM,
                    "At start, how long to keep retrying an unreachable registry before giving up with an error.")
            .define(SCHEMA_REGISTRY_RETRY_BACKOFF_MS, Type.INT, 1_000, Range.atLeast(10), Importance.LOW,
                    "Pause between registry retries.")
            .define(OUTPUT_VALUE_SERDE, Type.STRING, "", Importance.LOW,
                    "Class name of a Kafka Serde (or Serializer) for EnrichedEvent values, configured with every "
                            + "setting of this file (e.g. io.confluent.kafka.streams.serdes.avro.SpecificAvroSerde "
                            + "when Confluent's jar is on the classpath). Empty: the built-in Confluent-format Avro "
                            + "serde.")
            .define(HTTP_PORT, Type.INT, 8080, Range.between(-1, 65535), Importance.MEDIUM,
                    "Port of /metrics (Prometheus), /health/live and /health/ready; 0 picks a free port, -1 disables.")
            .define(HTTP_BIND_ADDRESS, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), Importance.LOW,
                    "Address http.port listens on: 0.0.0.0 for all interfaces (IPv6 too on a dual-stack JVM), or one "
                            + "address or host name of this machine, e.g. 127.0.0.1 for loopback only (then neither "
                            + "Kubernetes probes nor Prometheus can reach it from outside the pod).")
            .define(LOG_FORMAT, Type.STRING, "text", ValidString.in("text", "json"), Importance.LOW,
                    "Log lines as plain text or as one JSON object per line.")
            .define(HEALTH_STALL_TIMEOUT_MS, Type.INT, 300_000, Range.atLeast(0), Importance.LOW,
                    "How long the models may fail on every input (the events waiting, /health/ready 503) before "
                            + "/health/live turns 503 too, so that the orchestrator restarts the process and reloads "
                            + "them (a closed session or a lost GPU does not heal in the process); 0 never. An "
                            + "unreachable schema registry affects readiness only.")
            .define(SHUTDOWN_TIMEOUT_MS, Type.INT, 30_000, Range.atLeast(1000), Importance.LOW,
                    "On SIGTERM, how long Kafka Streams may take to stop and commit before the process exits.");

    private final Map<String, Object> kafkaOverrides;
    private final List<ClassifierSettings> classifiers;

    public EnricherConfig(Map<?, ?> props) {
        super(CONFIG, props, false);
        Map<String, Object> overrides = new TreeMap<>();
        props.forEach((k, v) -> {
            String key = String.valueOf(k);
            if (key.startsWith(KAFKA_PREFIX)) {
                overrides.put(key.substring(KAFKA_PREFIX.length()), v);
            }
        });
        this.kafkaOverrides = Map.copyOf(overrides);
        this.classifiers = readClassifiers();
        check();
    }

    /** The configuration of a properties file (may be null) overridden by {@code ENRICHER_*} variables of env. */
    public static EnricherConfig load(Path file, Map<String, String> env) {
        Map<String, Object> props = new HashMap<>();
        if (file != null) {
            Properties fromFile = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                fromFile.load(reader);
            } catch (IOException e) {
                throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
            }
            fromFile.forEach((k, v) -> props.put(String.valueOf(k), v));
        }
        props.putAll(fromEnvironment(env));
        props.putAll(classifierKeysFromEnvironment(props.get(CLASSIFIERS), env));
        return new EnricherConfig(props);
    }

    /** {@code ENRICHER_CLASSIFIER_SPAM_MODEL_DIR=/m} becomes {@code classifier.spam.model.dir=/m}, spam being listed. */
    static Map<String, String> classifierKeysFromEnvironment(Object names, Map<String, String> env) {
        Map<String, String> props = new HashMap<>();
        if (names == null) {
            return props;
        }
        for (String name : String.valueOf(names).split(",")) {
            for (String suffix : CLASSIFIER_SUFFIXES) {
                String key = CLASSIFIER_PREFIX + name.trim() + "." + suffix;
                String value = env.get(envName(key));
                if (!name.isBlank() && value != null) {
                    props.put(key, value);
                }
            }
        }
        return props;
    }

    /** {@code ENRICHER_BATCH_MAX_RECORDS=64} becomes {@code batch.max.records=64}; also {@code ENRICHER_KAFKA_*}. */
    static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> props = new HashMap<>();
        for (String key : CONFIG.names()) {
            String value = env.get(envName(key));
            if (value != null) {
                props.put(key, value);
            }
        }
        String kafkaEnv = envName(KAFKA_PREFIX);
        env.forEach((name, value) -> {
            if (name.startsWith(kafkaEnv)) {
                props.put(KAFKA_PREFIX + name.substring(kafkaEnv.length()).toLowerCase(Locale.ROOT).replace('_', '.'),
                        value);
            }
        });
        return props;
    }

    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    public static ConfigDef configDef() {
        return CONFIG;
    }

    private void check() {
        boolean topics = !getList(INPUT_TOPICS).isEmpty();
        boolean pattern = !getString(INPUT_TOPIC_PATTERN).isEmpty();
        if (topics == pattern) {
            throw new ConfigException(INPUT_TOPICS, getList(INPUT_TOPICS),
                    "exactly one of input.topics and input.topic.pattern must be set");
        }
        if (classifiers.isEmpty() && getString(NER_MODEL_DIR).isEmpty()) {
            throw new ConfigException(CLASSIFIER_MODEL_DIR, "", "set classifiers (or classifier.model.dir), "
                    + "ner.model.dir or both");
        }
        if (getString(OUTPUT_TOPIC).equals(getString(DLQ_TOPIC))) {
            throw new ConfigException(DLQ_TOPIC, getString(DLQ_TOPIC), "must differ from output.topic");
        }
        checkProducerLimits();
        if (!getBoolean(SCHEMA_REGISTRY_AUTO_REGISTER) && getString(SCHEMA_REGISTRY_URL).isBlank()) {
            throw new ConfigException(SCHEMA_REGISTRY_AUTO_REGISTER, false, "true without schema.registry.url (the "
                    + "in-process ids have no registered versions to use); set schema.registry.url");
        }
        int queued = getInt(BATCH_MAX_QUEUED_EVENTS);
        if (queued != 0 && queued < getInt(BATCH_MAX_RECORDS)) {
            throw new ConfigException(BATCH_MAX_QUEUED_EVENTS, queued, "at least batch.max.records ("
                    + getInt(BATCH_MAX_RECORDS) + "), so that a batch can fill; or 0 for the default");
        }
        nerOptions();
        routes();
        checkInputPattern();
        checkNoTopicLoops();
    }

    /** batch.max.queued.events, its default (0) resolved. */
    public int maxQueuedEvents() {
        int set = getInt(BATCH_MAX_QUEUED_EVENTS);
        long auto = 4L * getInt(BATCH_MAX_RECORDS) * getInt(INFERENCE_BATCHES_IN_FLIGHT);
        return set != 0 ? set : (int) Math.min(1 << 20, Math.max(1024, auto));
    }

    public List<String> bootstrapServers() {
        return getList(BOOTSTRAP_SERVERS);
    }

    public InputFormat inputFormat() {
        return InputFormat.valueOf(getString(INPUT_FORMAT).toUpperCase(Locale.ROOT));
    }

    public InferenceSettings inferenceSettings() {
        return new InferenceSettings(InferenceSettings.Device.parse(getString(INFERENCE_DEVICE)),
                getInt(INFERENCE_DEVICE_ID), getString(INFERENCE_FALLBACK).equals("cpu"), getInt(INFERENCE_THREADS),
                getBoolean(INFERENCE_SPINNING), InferenceSettings.Precision.parse(getString(INFERENCE_PRECISION)));
    }

    /**
     * A sequence classifier's settings: {@code name} is its task name in the output, {@code labelThresholds}
     * override {@code threshold} per label.
     */
    public record ClassifierSettings(String name, Path modelDir, SequenceClassification.Options options, int stride,
                                     double threshold, Map<String, Double> labelThresholds) {}

    /** The classifiers to run, in output order: those of classifiers, else the one of classifier.model.dir. */
    public List<ClassifierSettings> classifiers() {
        return classifiers;
    }

    /** The classifiers, their keys checked: the first check of construction, as routes() reads the result. */
    private List<ClassifierSettings> readClassifiers() {
        List<String> names = getList(CLASSIFIERS);
        if (!names.isEmpty() && !getString(CLASSIFIER_MODEL_DIR).isEmpty()) {
            throw new ConfigException(CLASSIFIER_MODEL_DIR, getString(CLASSIFIER_MODEL_DIR), "empty when classifiers "
                    + "is set: set classifier.<name>.model.dir for each of " + names);
        }
        double threshold = getDouble(CLASSIFIER_THRESHOLD);
        if (!(threshold >= 0 && threshold <= 1) && !getString(CLASSIFIER_FUNCTION).equals("none")) {
            throw new ConfigException(CLASSIFIER_THRESHOLD, threshold, "a score between 0 and 1");
        }
        checkClassifierKeys();
        if (names.isEmpty()) {
            if (getString(CLASSIFIER_MODEL_DIR).isEmpty()) {
                return List.of();
            }
            return List.of(classifier(DEFAULT_CLASSIFIER, CLASSIFIER_PREFIX, values()));
        }
        List<ClassifierSettings> out = new ArrayList<>(names.size());
        for (String name : names) {
            String prefix = CLASSIFIER_PREFIX + name + ".";
            Map<String, Object> own = new HashMap<>();
            originals().forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    own.put(k, v);
                }
            });
            out.add(classifier(name, prefix, classifierDef(prefix).parse(own)));
        }
        return List.copyOf(out);
    }

    /** The keys of one named classifier, each defaulting to the classifier.* key of the same suffix. */
    private ConfigDef classifierDef(String prefix) {
        return new ConfigDef()
                .define(prefix + MODEL_DIR, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                        Importance.HIGH, "Bundle folder of the classifier.")
                .define(prefix + FUNCTION, Type.STRING, getString(CLASSIFIER_FUNCTION), FUNCTIONS, Importance.MEDIUM,
                        FUNCTION_DOC)
                .define(prefix + TOP_K, Type.INT, getInt(CLASSIFIER_TOP_K), Range.atLeast(0), Importance.LOW,
                        TOP_K_DOC)
                .define(prefix + LONG_TEXT, Type.STRING, getString(CLASSIFIER_LONG_TEXT), LONG_TEXTS,
                        Importance.MEDIUM, LONG_TEXT_DOC)
                .define(prefix + STRIDE, Type.INT, getInt(CLASSIFIER_STRIDE), Range.atLeast(0), Importance.LOW,
                        STRIDE_DOC)
                .define(prefix + THRESHOLD, Type.DOUBLE, getDouble(CLASSIFIER_THRESHOLD), Importance.MEDIUM,
                        THRESHOLD_DOC)
                .define(prefix + LABEL_THRESHOLDS, Type.LIST, getList(CLASSIFIER_LABEL_THRESHOLDS), Importance.LOW,
                        LABEL_THRESHOLDS_DOC);
    }

    /** One classifier from its parsed keys, {@code prefix + suffix} each; thresholds checked against its function. */
    private static ClassifierSettings classifier(String name, String prefix, Map<String, ?> parsed) {
        String function = (String) parsed.get(prefix + FUNCTION);
        double threshold = (Double) parsed.get(prefix + THRESHOLD);
        if (!(threshold >= 0 && threshold <= 1) && !function.equals("none")) {
            throw new ConfigException(prefix + THRESHOLD, threshold, "a score between 0 and 1 (other values only with "
                    + prefix + FUNCTION + "=none)");
        }
        Map<String, Double> labelThresholds = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        List<String> entries = (List<String>) parsed.get(prefix + LABEL_THRESHOLDS);
        for (String entry : entries) {
            int colon = entry.lastIndexOf(':');
            double labelThreshold;
            try {
                labelThreshold = Double.parseDouble(entry.substring(colon + 1).trim());
                labelThresholds.put(entry.substring(0, colon).trim(), labelThreshold);
            } catch (RuntimeException e) {
                throw new ConfigException(prefix + LABEL_THRESHOLDS, entry, "entries of the form label:threshold");
            }
            if (!(labelThreshold >= 0 && labelThreshold <= 1) && !function.equals("none")) {
                throw new ConfigException(prefix + LABEL_THRESHOLDS, entry, "a threshold between 0 and 1 (other "
                        + "values only with " + prefix + FUNCTION + "=none)");
            }
        }
        SequenceClassification.Options options = new SequenceClassification.Options(
                ClassificationFunction.parse(function), (Integer) parsed.get(prefix + TOP_K),
                SequenceClassification.LongText.parse((String) parsed.get(prefix + LONG_TEXT)));
        return new ClassifierSettings(name, Path.of((String) parsed.get(prefix + MODEL_DIR)), options,
                (Integer) parsed.get(prefix + STRIDE), threshold, Map.copyOf(labelThresholds));
    }

    /**
     * Every {@code classifier.<name>.<suffix>} key names a classifier of classifiers and a known suffix: a typo
     * would otherwise drop a model or a threshold without a word.
     */
    private void checkClassifierKeys() {
        List<String> names = getList(CLASSIFIERS);
        for (var entry : new TreeMap<>(originals()).entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith(CLASSIFIER_PREFIX) || CONFIG.names().contains(key)) {
                continue;
            }
            String rest = key.substring(CLASSIFIER_PREFIX.length());
            int dot = rest.indexOf('.');
            String name = dot < 0 ? rest : rest.substring(0, dot);
            if (!names.contains(name)) {
                throw new ConfigException(key, entry.getValue(), "a key of a classifier listed in classifiers "
                        + names + "; add " + name + " there, or remove the key");
            }
            if (!CLASSIFIER_SUFFIXES.contains(rest.substring(dot + 1))) {
                throw new ConfigException(key, entry.getValue(), "classifier." + name + ".<key> with <key> one of "
                        + CLASSIFIER_SUFFIXES);
            }
        }
    }

    /** Names of classifiers: unique, {@code [a-z][a-z0-9_]*}, not the NER tagger's task name {@code ner}. */
    private static final class ClassifierNames implements ConfigDef.Validator {
        private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

        @Override
        public void ensureValid(String key, Object value) {
            @SuppressWarnings("unchecked")
            List<String> names = (List<String>) value;
            Set<String> seen = new HashSet<>();
            for (String name : names) {
                if (!NAME.matcher(name).matches() || name.equals("ner")) {
                    throw new ConfigException(key, value, "names of lower-case letters, digits and _, starting with a "
                            + "letter, other than ner (the NER tagger's); found '" + name + "'");
                }
                if (!seen.add(name)) {
                    throw new ConfigException(key, value, "distinct names; " + name + " is listed twice");
                }
            }
        }

        @Override
        public String toString() {
            return "names [a-z][a-z0-9_]*, distinct, not ner";
        }
    }

    public TokenClassification.Options nerOptions() {
        try {
            return new TokenClassification.Options(Aggregation.parse(getString(NER_AGGREGATION)),
                    TokenClassification.Windows.parse(getString(NER_WINDOWS)), Set.copyOf(getList(NER_IGNORE_LABELS)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(NER_AGGREGATION, getString(NER_AGGREGATION), e.getMessage()
                    + " (set ner.windows=truncate to use aggregation none)");
        }
    }

    /**
     * A route: events whose score for {@code label} by the classifier named {@code classifier} is at least
     * {@code threshold} also go to {@code topic}.
     */
    public record Route(String classifier, String label, double threshold, String topic) {}

    public List<Route> routes() {
        List<String> names = classifiers.stream().map(ClassifierSettings::name).toList();
        return getList(OUTPUT_ROUTES).stream().map(entry -> {
            String[] parts = entry.split(":");
            if (parts.length == 3 && names.size() == 1) {
                parts = new String[] {names.get(0), parts[0], parts[1], parts[2]};
            }
            Route route;
            try {
                if (parts.length != 4 || parts[0].isBlank() || parts[1].isBlank() || parts[3].isBlank()) {
                    throw new IllegalArgumentException();
                }
                route = new Route(parts[0].trim(), parts[1].trim(), Double.parseDouble(parts[2].trim()),
                        parts[3].trim());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(OUTPUT_ROUTES, entry, "entries of the form classifier:label:threshold:topic, "
                        + "e.g. toxicity:toxic:0.8:review (label:threshold:topic when exactly one classifier is "
                        + "configured)");
            }
            if (!names.contains(route.classifier())) {
                throw new ConfigException(OUTPUT_ROUTES, entry, "a route reading one of the configured classifiers "
                        + names + "; found " + route.classifier());
            }
            return route;
        }).toList();
    }

    /** Settings passed to Kafka Streams as they are ({@code kafka.} prefix removed). */
    public Map<String, Object> kafkaOverrides() {
        return kafkaOverrides;
    }

    /**
     * Every setting with its effective value, secrets masked: for the log line at start. Masked are PASSWORD keys,
     * {@code kafka.*} keys whose Kafka Streams, producer, consumer or admin definition is a PASSWORD (also under
     * Streams' client prefixes such as {@code producer.}) and the user-info of schema.registry.url (up to its last
     * {@code @}).
     */
    public Map<String, String> effective() {
        Map<String, String> out = new TreeMap<>();
        values().forEach((k, v) -> out.put(k, v instanceof Password ? "[hidden]" : String.valueOf(v)));
        out.computeIfPresent(SCHEMA_REGISTRY_URL,
                (k, v) -> v.replaceAll("^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", "$1[hidden]@"));
        kafkaOverrides.forEach((k, v) -> out.put(KAFKA_PREFIX + k, isKafkaSecret(k) || k.contains("password")
                || k.contains("secret") || k.contains("sasl.jaas") ? "[hidden]" : String.valueOf(v)));
        return out;
    }

    /**
     * Whether a Kafka Streams setting (without {@code kafka.}) is a PASSWORD in Kafka's own definitions, directly or
     * under one of Streams' client prefixes (e.g. {@code producer.ssl.key.password}).
     */
    static boolean isKafkaSecret(String key) {
        if (KAFKA_PASSWORD_KEYS.contains(key)) {
            return true;
        }
        for (String prefix : STREAMS_CLIENT_PREFIXES) {
            if (key.startsWith(prefix) && KAFKA_PASSWORD_KEYS.contains(key.substring(prefix.length()))) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> kafkaPasswordKeys() {
        Set<String> keys = new TreeSet<>();
        for (ConfigDef def : List.of(StreamsConfig.configDef(), ProducerConfig.configDef(), ConsumerConfig.configDef(),
                AdminClientConfig.configDef())) {
            def.configKeys().forEach((name, key) -> {
                if (key.type == Type.PASSWORD) {
                    keys.add(name);
                }
            });
        }
        return Set.copyOf(keys);
    }

    /** {@code latest} or a version number (1 or more). */
    private static final class SubjectVersion implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            String v = String.valueOf(value).trim();
            if (v.equals("latest")) {
                return;
            }
            try {
                if (Integer.parseInt(v) >= 1) {
                    return;
                }
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
            throw new ConfigException(name, value, "'latest' or a version number (1 or more)");
        }

        @Override
        public String toString() {
            return "latest or a version number (1, 2, ...)";
        }
    }

    /** The topic pattern, when set, must compile: Kafka Streams subscribes with it. */
    private void checkInputPattern() {
        String pattern = getString(INPUT_TOPIC_PATTERN);
        if (pattern.isEmpty()) {
            return;
        }
        try {
            Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            throw new ConfigException(INPUT_TOPIC_PATTERN, pattern, "a Java regular expression (" + e.getDescription()
                    + " at index " + e.getIndex() + ")");
        }
    }

    /**
     * A {@code kafka.*} override of the producer's max.request.size or buffer.memory below output.max.bytes would
     * make the producer refuse records the service lets through.
     */
    private void checkProducerLimits() {
        int maxBytes = getInt(OUTPUT_MAX_BYTES);
        for (String key : List.of("max.request.size", "buffer.memory")) {
            for (String name : List.of(key, "producer." + key)) {
                Object value = kafkaOverrides.get(name);
                if (value != null && parsedOrZero(value) < maxBytes) {
                    throw new ConfigException(KAFKA_PREFIX + name, value, "at least output.max.bytes=" + maxBytes
                            + " (the service sets the producer's " + key + " from it; leave it unset)");
                }
            }
        }
    }

    private static long parsedOrZero(Object value) {
        try {
            return Long.parseLong(String.valueOf(value).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The pending store's changelog topic, as Kafka Streams names it: {@code <application.id>-pending-events-changelog}. */
    public String pendingChangelogTopic() {
        return getString(APPLICATION_ID) + "-" + PENDING_STORE + "-changelog";
    }

    /** Every topic the service writes (output, dead letters, routes, the pending store's changelog), with its role. */
    public Map<String, String> writtenTopics() {
        Map<String, String> written = new LinkedHashMap<>();
        written.put(getString(OUTPUT_TOPIC), OUTPUT_TOPIC);
        written.putIfAbsent(getString(DLQ_TOPIC), DLQ_TOPIC);
        routes().forEach(r -> written.putIfAbsent(r.topic(), "a route topic of " + OUTPUT_ROUTES));
        written.putIfAbsent(pendingChangelogTopic(), "the changelog of the " + PENDING_STORE + " store");
        return written;
    }

    /**
     * No input topic, and no topic the input pattern matches (whole name, as Kafka's subscription does), is one the
     * service writes to: output.topic, dlq.topic, a route topic or the pending store's changelog. Reading one of
     * them feeds the service its own records without end.
     */
    private void checkNoTopicLoops() {
        Map<String, String> written = writtenTopics();
        String pattern = getString(INPUT_TOPIC_PATTERN);
        List<String> loops = new ArrayList<>();
        if (pattern.isEmpty()) {
            for (String topic : getList(INPUT_TOPICS)) {
                if (written.containsKey(topic)) {
                    loops.add(topic + " (" + written.get(topic) + ")");
                }
            }
        } else {
            Pattern compiled = Pattern.compile(pattern);
            written.forEach((topic, what) -> {
                if (compiled.matcher(topic).matches()) {
                    loops.add(topic + " (" + what + ")");
                }
            });
        }
        if (!loops.isEmpty()) {
            String key = pattern.isEmpty() ? INPUT_TOPICS : INPUT_TOPIC_PATTERN;
            Object value = pattern.isEmpty() ? getList(INPUT_TOPICS) : pattern;
            throw new ConfigException(key, value, "must not " + (pattern.isEmpty() ? "list" : "match")
                    + " a topic the service writes (it would read its own records in a loop): "
                    + String.join(", ", loops));
        }
    }
}
