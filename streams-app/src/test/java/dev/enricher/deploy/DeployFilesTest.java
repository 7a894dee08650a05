package dev.enricher.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.enricher.TestModels;
import dev.enricher.app.HttpEndpoints;
import dev.enricher.config.EnricherConfig;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the files under {@code deploy/} (Dockerfiles, docker-compose, Kubernetes manifests, the sample
 * configuration) against each other and against the service: every configuration key they set exists in
 * {@link EnricherConfig#configDef()} (or is a Kafka client setting under {@code kafka.}), every effective
 * configuration loads, and image names, the HTTP port, the probe and metrics paths and the run command agree.
 * Reads files only; needs no Docker engine and no cluster.
 */
class DeployFilesTest {
    static final String IMAGE = "enricher/enricher:0.1.0";
    static final String GPU_IMAGE = IMAGE + "-gpu";
    static final int HTTP_PORT = HttpEndpoints.DEFAULT_PORT;
    static final String LIVE_PATH = HttpEndpoints.LIVE_PATH;
    static final String READY_PATH = HttpEndpoints.READY_PATH;
    static final String METRICS_PATH = HttpEndpoints.METRICS_PATH;
    static final String PORT_NAME = "http-metrics";
    static final String JAR = "/app/enricher.jar";
    static final String BUILT_JAR = "streams-app/target/enricher.jar";
    static final String CONFIG_FILE = "/etc/enricher/enricher.properties";
    static final List<String> RUN_ARGS = List.of("run", "--config", CONFIG_FILE);
    static final int GRACE_SECONDS = 60;
    static final String MODELS_MOUNT = "/models";
    static final String BUILD_IMAGE = "maven:3.9-eclipse-temurin-17";
    static final String CPU_RUNTIME_IMAGE = "eclipse-temurin:17-jre";
    static final Pattern GPU_RUNTIME_IMAGE = Pattern.compile("nvidia/cuda:12\\.\\d+\\.\\d+-cudnn-runtime-ubuntu22\\.04");
    static final String INSTANCE_ID_ENV = EnricherConfig.envName("kafka.group.instance.id");
    static final String PARTITIONS_ANNOTATION = "enricher.dev/input-partitions";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every configuration key set anywhere, with the places that set it. */
    private static final Map<String, Set<String>> KEYS = new TreeMap<>();
    private static final Set<Path> FILES = new TreeSet<>();

    static Path root;
    static Path deploy;
    static Dockerfile cpuDockerfile;
    static Dockerfile gpuDockerfile;
    static JsonNode compose;
    static Map<String, JsonNode> k8s;
    static Properties composeProperties;
    static Properties configMapProperties;

    @BeforeAll
    static void load() {
        root = TestModels.modelsDir().getParent();
        deploy = root.resolve("deploy");
        assertTrue(Files.isDirectory(deploy), "no deploy/ folder at " + deploy);
        cpuDockerfile = Dockerfile.parse(read(deploy.resolve("Dockerfile")),
                read(deploy.resolve("Dockerfile.dockerignore")));
        gpuDockerfile = Dockerfile.parse(read(deploy.resolve("Dockerfile.gpu")),
                read(deploy.resolve("Dockerfile.gpu.dockerignore")));
        compose = single(deploy.resolve("docker-compose.yml"));
        k8s = byKind(deploy.resolve("k8s"));
        composeProperties = properties(read(deploy.resolve("enricher.properties")));
        configMapProperties = properties(configMap().path("data").path(configFileName()).asText());
    }

    @AfterAll
    static void summary() {
        System.out.printf(Locale.ROOT, "DeployFilesTest: %d files checked, %d configuration keys checked (%s)%n",
                FILES.size(), KEYS.size(), String.join(", ", KEYS.keySet()));
    }

    @Test
    void everyYamlFileParses() throws IOException {
        List<Path> yamls;
        try (Stream<Path> walk = Files.walk(deploy)) {
            yamls = walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        assertTrue(yamls.size() >= 10, "expected compose and the Kubernetes manifests, found " + yamls);
        for (Path yaml : yamls) {
            List<JsonNode> docs = documents(yaml);
            assertFalse(docs.isEmpty(), yaml + " holds no YAML document");
            for (JsonNode doc : docs) {
                assertTrue(doc.isObject(), yaml + ": every document is a mapping");
            }
        }
    }

    @Test
    void everyConfigurationKeyExists() {
        Set<String> defined = EnricherConfig.configDef().names();
        collectKeys();
        Map<String, Set<String>> unknown = new TreeMap<>();
        KEYS.forEach((key, where) -> {
            if (key.startsWith(EnricherConfig.KAFKA_PREFIX)) {
                String kafkaKey = key.substring(EnricherConfig.KAFKA_PREFIX.length());
                if (!isKafkaClientSetting(kafkaKey)) {
                    unknown.put(key + " (not a Kafka Streams or client setting)", where);
                }
            } else if (!defined.contains(key)) {
                unknown.put(key, where);
            }
        });
        assertTrue(unknown.isEmpty(), "configuration keys set under deploy/ that the service does not define: "
                + unknown);
    }

    @Test
    void effectiveConfigurationsLoad(@TempDir Path dir) throws IOException {
        EnricherConfig composeConfig = composeConfig(dir);
        EnricherConfig cpu = k8sConfig(dir, false);
        EnricherConfig gpu = k8sConfig(dir, true);
        for (EnricherConfig config : List.of(composeConfig, cpu, gpu)) {
            assertTrue(config.getString(EnricherConfig.CLASSIFIER_MODEL_DIR).startsWith(MODELS_MOUNT + "/"));
            assertTrue(config.getString(EnricherConfig.NER_MODEL_DIR).startsWith(MODELS_MOUNT + "/"));
            if (EnricherConfig.configDef().names().contains("http.port")) {
                assertEquals(HTTP_PORT, config.getInt("http.port"), "http.port");
            }
            if (EnricherConfig.configDef().names().contains("shutdown.timeout.ms")) {
                assertTrue(config.getInt("shutdown.timeout.ms") + 10_000 <= GRACE_SECONDS * 1000,
                        "shutdown.timeout.ms leaves at least 10 s of the " + GRACE_SECONDS + " s grace period");
            }
        }
        assertEquals("cpu", cpu.getString(EnricherConfig.INFERENCE_DEVICE));
        assertEquals("cuda", gpu.getString(EnricherConfig.INFERENCE_DEVICE));
        assertEquals("exact", gpu.getString(EnricherConfig.INFERENCE_PRECISION));
        assertEquals(0.0, gpu.getDouble(EnricherConfig.BATCH_MIN_PADDING_EFFICIENCY),
                "GPU runs each batch whole");
        assertTrue(gpu.getInt(EnricherConfig.BATCH_MAX_RECORDS) > cpu.getInt(EnricherConfig.BATCH_MAX_RECORDS),
                "GPU batches are larger than CPU batches");
        assertTrue(gpu.getInt(EnricherConfig.BATCH_MAX_TOKENS) >= gpu.getInt(EnricherConfig.BATCH_MAX_RECORDS) * 64,
                "batch.max.tokens lets a full GPU batch of 64-token texts run at once");
        assertEquals("moderation", cpu.getString(EnricherConfig.APPLICATION_ID));
    }

    @Test
    void dockerfilesBuildAndRunTheJar() {
        for (Dockerfile file : List.of(cpuDockerfile, gpuDockerfile)) {
            boolean gpu = file == gpuDockerfile;
            List<String> froms = file.all("FROM");
            assertEquals(2, froms.size(), "multi-stage: a build stage and a runtime stage");
            assertEquals(BUILD_IMAGE + " AS build", froms.get(0));
            if (gpu) {
                assertTrue(GPU_RUNTIME_IMAGE.matcher(froms.get(1)).matches(), "GPU runtime image: " + froms.get(1));
                assertTrue(file.stage(1, "RUN").stream().anyMatch(r -> r.contains("openjdk-17-jre-headless")),
                        "GPU image installs a Java 17 runtime");
            } else {
                assertEquals(CPU_RUNTIME_IMAGE, froms.get(1));
            }
            String build = String.join("\n", file.stage(0, "RUN"));
            assertTrue(build.contains("mvn ") && build.contains(" package") && build.contains("-Dmaven.test.skip=true"),
                    build);
            assertTrue(build.contains(" -pl streams-app -am "), "builds the service only: " + build);
            assertEquals(gpu, build.contains("-Pgpu"), "-Pgpu in the GPU build only");
            assertTrue(file.all("COPY").stream().anyMatch(c -> c.startsWith("--from=build ")
                    && c.contains("/" + BUILT_JAR + " ") && c.endsWith(" " + JAR)), "copies the built jar to " + JAR);
            assertEquals(List.of(String.valueOf(HTTP_PORT)), file.all("EXPOSE"));
            String user = file.last("USER");
            assertNotNull(user, "runs as a non-root user");
            assertFalse(user.startsWith("root") || user.startsWith("0:") || user.equals("0"), "USER " + user);
            List<String> entrypoint = jsonArray(file.last("ENTRYPOINT"));
            assertTrue(String.join(" ", entrypoint).contains("exec java $JAVA_OPTS -jar " + JAR),
                    "java is exec-ed (PID 1 gets SIGTERM): " + entrypoint);
            assertEquals(RUN_ARGS, jsonArray(file.last("CMD")));
            Map<String, String> env = file.env();
            assertTrue(env.get("DJL_CACHE_DIR").startsWith("/tmp/"), "DJL_CACHE_DIR on the writable /tmp");
            assertTrue(env.get("JAVA_OPTS").contains("-XX:MaxRAMPercentage="), "container-aware heap");
            if (gpu) {
                assertEquals("0", env.get("NVIDIA_TF32_OVERRIDE"));
                assertEquals("cuda", env.get(EnricherConfig.envName(EnricherConfig.INFERENCE_DEVICE)));
            }
            String healthcheck = file.last("HEALTHCHECK");
            assertTrue(healthcheck.contains(LIVE_PATH), "HEALTHCHECK probes " + LIVE_PATH + ": " + healthcheck);
            for (String copy : file.all("COPY")) {
                if (!copy.startsWith("--from=")) {
                    String[] parts = copy.replaceAll("--chmod=\\S+\\s+", "").split("\\s+");
                    for (int i = 0; i < parts.length - 1; i++) {
                        assertTrue(Files.exists(root.resolve(parts[i])), "COPY source " + parts[i] + " exists");
                        assertTrue(file.dockerignore().contains("!" + parts[i])
                                        || file.dockerignore().contains("!" + parts[i] + "/"),
                                "COPY source " + parts[i] + " is let through by the .dockerignore");
                    }
                }
            }
        }
        assertEquals(cpuDockerfile.stage(0, "COPY"), gpuDockerfile.stage(0, "COPY"), "both images build the same sources");
        assertEquals(rules(cpuDockerfile.dockerignore()), rules(gpuDockerfile.dockerignore()), "the same build context");
        String script = read(deploy.resolve("healthcheck.sh"));
        assertTrue(script.contains(LIVE_PATH) && script.contains(String.valueOf(HTTP_PORT)), "healthcheck.sh defaults");
        assertTrue(Files.isExecutable(deploy.resolve("healthcheck.sh")), "healthcheck.sh is executable");
    }

    @Test
    void composeRunsTheServiceWithItsDependencies() {
        JsonNode services = compose.path("services");
        for (String name : List.of("kafka", "topics", "registry", "enricher", "producer")) {
            assertTrue(services.has(name), "compose service " + name);
        }
        JsonNode kafka = services.path("kafka");
        assertTrue(kafka.path("image").asText().startsWith("apache/kafka:"), "official Kafka image");
        Map<String, String> kafkaEnv = environment(kafka);
        assertTrue(kafkaEnv.get("KAFKA_PROCESS_ROLES").contains("controller"), "KRaft combined mode");
        assertTrue(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS").contains("//kafka:9092"));
        assertTrue(services.path("registry").path("image").asText().startsWith("apicurio/apicurio-registry:3."));

        JsonNode enricher = services.path("enricher");
        assertEquals(IMAGE, enricher.path("image").asText());
        Path context = deploy.resolve(enricher.path("build").path("context").asText()).normalize();
        assertEquals(root.normalize(), context, "built from the repository root");
        assertEquals(deploy.resolve("Dockerfile").normalize(),
                context.resolve(enricher.path("build").path("dockerfile").asText()).normalize());
        List<String> ports = texts(enricher.path("ports"));
        assertTrue(ports.contains(HTTP_PORT + ":" + HTTP_PORT), "publishes " + HTTP_PORT + ": " + ports);
        assertEquals(GRACE_SECONDS + "s", enricher.path("stop_grace_period").asText());
        assertEquals("service_completed_successfully",
                enricher.path("depends_on").path("topics").path("condition").asText());
        assertTrue(enricher.path("depends_on").has("registry"));
        assertTrue(environment(enricher).containsKey(INSTANCE_ID_ENV), "static membership");

        Map<String, String> mounts = new LinkedHashMap<>();
        for (String volume : texts(enricher.path("volumes"))) {
            String[] parts = volume.split(":");
            assertTrue(parts.length == 3 && parts[2].equals("ro"), "read-only mount: " + volume);
            Path host = deploy.resolve(parts[0]).normalize();
            Path source = starterSource(host);
            assertTrue(Files.exists(source), "mounted host path exists or is built from the repository: " + source);
            mounts.put(parts[1], parts[0]);
        }
        assertEquals("./enricher.properties", mounts.get(CONFIG_FILE));
        for (String key : List.of(EnricherConfig.CLASSIFIER_MODEL_DIR, EnricherConfig.NER_MODEL_DIR)) {
            String dir = composeProperties.getProperty(key);
            assertTrue(mounts.containsKey(dir), key + "=" + dir + " is a mounted folder");
            Path bundle = deploy.resolve(mounts.get(dir)).normalize();
            Path source = starterSource(bundle);
            List<String> files = source.equals(bundle) ? List.of("model.onnx", "config.json", "tokenizer.json")
                    : List.of("weights.npz", "metrics.json");
            for (String file : files) {
                assertTrue(Files.isRegularFile(source.resolve(file)), dir + ": " + file);
            }
        }

        Set<String> created = new HashSet<>();
        for (String spec : environment(services.path("topics")).get("TOPICS").trim().split("\\s+")) {
            created.add(spec.substring(0, spec.indexOf(':')));
        }
        Set<String> needed = new TreeSet<>(List.of(composeProperties.getProperty("input.topics").split(",")));
        needed.add(composeProperties.getProperty(EnricherConfig.OUTPUT_TOPIC));
        needed.add(composeProperties.getProperty(EnricherConfig.DLQ_TOPIC));
        for (String route : composeProperties.getProperty(EnricherConfig.OUTPUT_ROUTES, "").split(",")) {
            if (!route.isBlank()) {
                needed.add(route.substring(route.lastIndexOf(':') + 1).trim());
            }
        }
        assertTrue(created.containsAll(needed), "the topics job creates " + needed + ", has " + created);

        String producer = String.join("\n", texts(services.path("producer").path("command")));
        assertTrue(producer.contains("--topic " + composeProperties.getProperty("input.topics")), producer);
        assertTrue(producer.contains("{\"id\": ") && producer.contains(", \"text\": "), "JSON lines with id and text");
    }

    @Test
    void kubernetesManifestsAgree() {
        assertEquals(Set.of("ConfigMap", "StatefulSet", "Service", "PodDisruptionBudget", "ScaledObject",
                "ServiceMonitor"), k8s.keySet());
        JsonNode kustomization = single(deploy.resolve("k8s/kustomization.yaml"));
        Set<String> listed = new TreeSet<>(texts(kustomization.path("resources")));
        assertEquals(manifestFiles(deploy.resolve("k8s")), listed, "kustomization.yaml lists every manifest");

        JsonNode sts = k8s.get("StatefulSet");
        JsonNode pod = sts.path("spec").path("template");
        Map<String, String> podLabels = stringMap(pod.path("metadata").path("labels"));
        assertTrue(podLabels.entrySet().containsAll(
                stringMap(sts.path("spec").path("selector").path("matchLabels")).entrySet()));
        assertEquals(GRACE_SECONDS, pod.path("spec").path("terminationGracePeriodSeconds").asInt());
        JsonNode container = onlyContainer(sts);
        assertEquals(IMAGE, container.path("image").asText());
        if (container.has("args")) {
            assertEquals(RUN_ARGS, texts(container.path("args")));
        }
        assertFalse(container.has("command"), "the image's ENTRYPOINT runs the jar");
        assertEquals(HTTP_PORT, containerPort(container, PORT_NAME));
        assertProbe(container, "livenessProbe", LIVE_PATH);
        assertProbe(container, "readinessProbe", READY_PATH);
        assertProbe(container, "startupProbe", LIVE_PATH);
        JsonNode instanceId = env(container).get(INSTANCE_ID_ENV);
        assertNotNull(instanceId, "static membership from the pod name");
        assertEquals("metadata.name", instanceId.path("valueFrom").path("fieldRef").path("fieldPath").asText());
        for (JsonNode var : container.path("env")) {
            assertTrue(var.has("valueFrom") || var.path("value").isTextual(), "env values are strings: " + var);
        }

        Map<String, JsonNode> mounts = new LinkedHashMap<>();
        container.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), m));
        Map<String, JsonNode> volumes = new LinkedHashMap<>();
        pod.path("spec").path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
        JsonNode configMount = mounts.get(CONFIG_FILE.substring(0, CONFIG_FILE.lastIndexOf('/')));
        assertNotNull(configMount, "the ConfigMap is mounted at the folder of " + CONFIG_FILE);
        assertEquals(configMap().path("metadata").path("name").asText(),
                volumes.get(configMount.path("name").asText()).path("configMap").path("name").asText());
        JsonNode models = mounts.get(MODELS_MOUNT);
        assertNotNull(models, "models mounted at " + MODELS_MOUNT);
        assertTrue(models.path("readOnly").asBoolean(), "models are read-only");
        boolean readOnlyRoot = container.path("securityContext").path("readOnlyRootFilesystem").asBoolean();
        if (readOnlyRoot) {
            for (String path : List.of(configMapProperties.getProperty(EnricherConfig.STATE_DIR),
                    cpuDockerfile.env().get("DJL_CACHE_DIR"), "/tmp")) {
                assertTrue(mounts.entrySet().stream().anyMatch(m -> (path + "/").startsWith(m.getKey() + "/")
                        && !m.getValue().path("readOnly").asBoolean()), path + " is on a writable volume");
            }
        }

        JsonNode service = k8s.get("Service");
        assertEquals(service.path("metadata").path("name").asText(), sts.path("spec").path("serviceName").asText());
        assertTrue(podLabels.entrySet().containsAll(stringMap(service.path("spec").path("selector")).entrySet()));
        JsonNode servicePort = service.path("spec").path("ports").get(0);
        assertEquals(PORT_NAME, servicePort.path("name").asText());
        assertEquals(HTTP_PORT, servicePort.path("port").asInt());
        JsonNode target = servicePort.path("targetPort");
        assertEquals(HTTP_PORT, target.isInt() ? target.asInt() : containerPort(container, target.asText()));

        JsonNode monitor = k8s.get("ServiceMonitor");
        assertTrue(stringMap(service.path("metadata").path("labels")).entrySet().containsAll(
                stringMap(monitor.path("spec").path("selector").path("matchLabels")).entrySet()));
        JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
        assertEquals(PORT_NAME, endpoint.path("port").asText());
        assertEquals(METRICS_PATH, endpoint.path("path").asText());

        JsonNode pdb = k8s.get("PodDisruptionBudget");
        assertEquals(1, pdb.path("spec").path("maxUnavailable").asInt());
        assertTrue(podLabels.entrySet().containsAll(
                stringMap(pdb.path("spec").path("selector").path("matchLabels")).entrySet()));

        JsonNode scaled = k8s.get("ScaledObject");
        assertEquals("StatefulSet", scaled.path("spec").path("scaleTargetRef").path("kind").asText());
        assertEquals(sts.path("metadata").path("name").asText(),
                scaled.path("spec").path("scaleTargetRef").path("name").asText());
        assertKafkaTrigger(scaled.path("spec"), configMapProperties);
        int partitions = scaled.path("metadata").path("annotations").path(PARTITIONS_ANNOTATION).asInt();
        assertTrue(partitions > 0, "the ScaledObject notes the input partitions in " + PARTITIONS_ANNOTATION);
        assertReplicas(scaled.path("spec"), Integer.parseInt(configMapProperties.getProperty("num.stream.threads",
                "1")), partitions);
    }

    /**
     * The JVM, ONNX Runtime and the tokenizer are sized from the CPU request, not from the node's cores: the
     * JVM's ActiveProcessorCount and the tokenizer's Rayon pool are the request; inference.threads is the request
     * on CPU and 1 on the GPU; the stream threads (which tokenize) do not outnumber the requested cores.
     */
    @Test
    void threadCountsFollowTheCpuRequest(@TempDir Path dir) throws IOException {
        for (boolean gpu : List.of(false, true)) {
            JsonNode container = gpu ? onlyContainer(single(deploy.resolve("k8s-gpu/statefulset-gpu-patch.yaml")))
                    : onlyContainer(k8s.get("StatefulSet"));
            int cores = cpuCores(container.path("resources").path("requests").path("cpu").asText());
            Map<String, String> env = podEnvironment(gpu);
            EnricherConfig config = k8sConfig(dir, gpu);
            String where = gpu ? "k8s-gpu" : "k8s";
            assertTrue(env.get("JAVA_OPTS").contains("-XX:ActiveProcessorCount=" + cores + " "),
                    where + ": " + env.get("JAVA_OPTS"));
            assertEquals(Integer.toString(cores), env.get("RAYON_NUM_THREADS"), where);
            assertEquals(gpu ? 1 : cores, config.getInt(EnricherConfig.INFERENCE_THREADS), where);
            assertTrue(config.getInt(EnricherConfig.NUM_STREAM_THREADS) <= cores, where + ": stream threads");
            Dockerfile image = gpu ? gpuDockerfile : cpuDockerfile;
            for (String option : image.env().get("JAVA_OPTS").split("\\s+")) {
                if (!option.startsWith("-XX:MaxRAMPercentage")) {
                    assertTrue(env.get("JAVA_OPTS").contains(option), where + " keeps the image's " + option);
                }
            }
        }
    }

    /**
     * Each sample route names a label of the sample classifier (the starter sentiment model, whose labels are in
     * models/starter/sentiment/metrics.json), and fires: the model's own reference logits for some text reach the
     * route's threshold for that label.
     */
    @Test
    void theSampleRoutesFireWithTheSampleModel() throws IOException {
        Path starter = root.resolve("models/starter/sentiment");
        List<String> labels = texts(JSON.readTree(read(starter.resolve("metrics.json"))).path("labels"));
        assertEquals(List.of("negative", "neutral", "positive"), labels);
        JsonNode reference = JSON.readTree(read(starter.resolve("reference.json")));
        for (Properties props : List.of(composeProperties, configMapProperties)) {
            assertEquals("/models/classifier", props.getProperty(EnricherConfig.CLASSIFIER_MODEL_DIR));
            List<String> routes = List.of(props.getProperty(EnricherConfig.OUTPUT_ROUTES).split(","));
            assertEquals(1, routes.size(), routes.toString());
            for (String route : routes) {
                String[] parts = route.trim().split(":");
                int label = labels.indexOf(parts[0]);
                assertTrue(label >= 0, route + " names a label of the starter classifier " + labels);
                double threshold = Double.parseDouble(parts[1]);
                int firing = 0;
                for (JsonNode text : reference) {
                    double[] logits = new double[labels.size()];
                    for (int i = 0; i < logits.length; i++) {
                        logits[i] = text.path("logits").get(i).asDouble();
                    }
                    double max = java.util.Arrays.stream(logits).max().orElseThrow();
                    double sum = java.util.Arrays.stream(logits).map(l -> Math.exp(l - max)).sum();
                    firing += Math.exp(logits[label] - max) / sum >= threshold ? 1 : 0;
                }
                System.out.printf("route %s: fires on %d of %d reference texts of the starter model%n", route,
                        firing, reference.size());
                assertTrue(firing > 0, route + " fires on some reference text");
            }
        }
    }

    @Test
    void gpuOverlayPatchesTheBase() {
        Path overlay = deploy.resolve("k8s-gpu");
        JsonNode kustomization = single(overlay.resolve("kustomization.yaml"));
        assertEquals(List.of("../k8s"), texts(kustomization.path("resources")));
        JsonNode image = kustomization.path("images").get(0);
        assertEquals(GPU_IMAGE, image.path("name").asText() + ":" + image.path("newTag").asText());
        assertEquals(IMAGE.substring(0, IMAGE.indexOf(':')), image.path("name").asText());
        Map<String, JsonNode> patches = new LinkedHashMap<>();
        for (JsonNode patch : kustomization.path("patches")) {
            Path file = overlay.resolve(patch.path("path").asText());
            JsonNode doc = single(file);
            patches.put(doc.path("kind").asText(), doc);
            assertEquals(k8s.get(doc.path("kind").asText()).path("metadata").path("name").asText(),
                    doc.path("metadata").path("name").asText(), file + " patches an object of the base");
        }
        JsonNode container = onlyContainer(patches.get("StatefulSet"));
        assertEquals(onlyContainer(k8s.get("StatefulSet")).path("name").asText(), container.path("name").asText());
        assertEquals(1, container.path("resources").path("limits").path("nvidia.com/gpu").asInt());
        for (JsonNode var : container.path("env")) {
            assertTrue(var.path("value").isTextual(), "env values are strings: " + var);
        }
        if (container.has("startupProbe")) {
            assertProbe(container, onlyContainer(k8s.get("StatefulSet")), "startupProbe", LIVE_PATH);
        }
        JsonNode scaled = patches.get("ScaledObject");
        assertNotNull(scaled, "the GPU overlay sets its own replica bounds");
        assertKafkaTrigger(scaled.path("spec"), configMapProperties);
        int threads = Integer.parseInt(gpuEnvironment().getOrDefault(
                EnricherConfig.envName(EnricherConfig.NUM_STREAM_THREADS),
                configMapProperties.getProperty("num.stream.threads", "1")));
        assertReplicas(scaled.path("spec"), threads,
                k8s.get("ScaledObject").path("metadata").path("annotations").path(PARTITIONS_ANNOTATION).asInt());
    }

    @Test
    void runBookNamesTheImagesAndCommands() {
        String readme = read(deploy.resolve("README.md"));
        for (String expected : List.of(IMAGE, GPU_IMAGE, "docker build -f deploy/Dockerfile ",
                "docker build -f deploy/Dockerfile.gpu ", "-k deploy/k8s ", "-k deploy/k8s-gpu ",
                LIVE_PATH, READY_PATH, METRICS_PATH, INSTANCE_ID_ENV)) {
            assertTrue(readme.contains(expected), "deploy/README.md mentions " + expected);
        }
    }

    // ---- effective configurations ------------------------------------------------------------------------------

    private static EnricherConfig composeConfig(Path dir) throws IOException {
        Path file = dir.resolve("compose.properties");
        Files.writeString(file, read(deploy.resolve("enricher.properties")));
        Map<String, String> env = new LinkedHashMap<>(cpuDockerfile.env());
        env.putAll(environment(compose.path("services").path("enricher")));
        return EnricherConfig.load(file, env);
    }

    private static EnricherConfig k8sConfig(Path dir, boolean gpu) throws IOException {
        Path file = dir.resolve(gpu ? "k8s-gpu.properties" : "k8s.properties");
        Files.writeString(file, configMap().path("data").path(configFileName()).asText());
        Map<String, String> env = new LinkedHashMap<>((gpu ? gpuDockerfile : cpuDockerfile).env());
        env.putAll(podEnvironment(gpu));
        return EnricherConfig.load(file, env);
    }

    private static Map<String, String> gpuEnvironment() {
        JsonNode patch = single(deploy.resolve("k8s-gpu/statefulset-gpu-patch.yaml"));
        return podEnvironment(onlyContainer(patch));
    }

    /** A container's variables as written (valueFrom ones as enricher-0), for their names. */
    private static Map<String, String> podEnvironment(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        env(container).forEach((name, var) -> env.put(name, var.has("valueFrom") ? "enricher-0" : var.path("value").asText()));
        return env;
    }

    /**
     * The environment Kubernetes gives the process of pod enricher-0 (base, or base and GPU patch): the patch's
     * variables replace the base's by name (a strategic merge of env), fieldRef metadata.name is enricher-0,
     * resourceFieldRef requests.cpu is the container's request in whole cores (rounded up, divisor 1), and
     * $(NAME) references to variables defined before are expanded.
     */
    static Map<String, String> podEnvironment(boolean gpu) {
        JsonNode base = onlyContainer(k8s.get("StatefulSet"));
        Map<String, JsonNode> vars = new LinkedHashMap<>(env(base));
        JsonNode resources = base.path("resources");
        if (gpu) {
            JsonNode patch = onlyContainer(single(deploy.resolve("k8s-gpu/statefulset-gpu-patch.yaml")));
            vars.putAll(env(patch));
            resources = patch.path("resources");
        }
        int cpuRequest = cpuCores(resources.path("requests").path("cpu").asText());
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : vars.entrySet()) {
            JsonNode var = e.getValue();
            String value;
            if (var.path("valueFrom").has("fieldRef")) {
                assertEquals("metadata.name", var.path("valueFrom").path("fieldRef").path("fieldPath").asText());
                value = "enricher-0";
            } else if (var.path("valueFrom").has("resourceFieldRef")) {
                JsonNode ref = var.path("valueFrom").path("resourceFieldRef");
                assertEquals("requests.cpu", ref.path("resource").asText(), e.getKey());
                assertEquals("1", ref.path("divisor").asText("1"), e.getKey());
                value = Integer.toString(cpuRequest);
            } else {
                Matcher m = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(var.path("value").asText());
                StringBuilder expanded = new StringBuilder();
                while (m.find()) {
                    assertTrue(out.containsKey(m.group(1)), e.getKey() + " refers to " + m.group(1)
                            + ", which must be defined before it");
                    m.appendReplacement(expanded, Matcher.quoteReplacement(out.get(m.group(1))));
                }
                m.appendTail(expanded);
                value = expanded.toString();
            }
            out.put(e.getKey(), value);
        }
        return out;
    }

    /** A Kubernetes CPU quantity ("2", "500m") in whole cores, rounded up. */
    static int cpuCores(String quantity) {
        double cores = quantity.endsWith("m") ? Double.parseDouble(quantity.substring(0, quantity.length() - 1)) / 1000
                : Double.parseDouble(quantity);
        return (int) Math.ceil(cores);
    }

    /** Keys of both properties files and of every ENRICHER_* variable of the images, compose and the manifests. */
    private static void collectKeys() {
        composeProperties.stringPropertyNames().forEach(k -> key(k, "deploy/enricher.properties"));
        configMapProperties.stringPropertyNames().forEach(k -> key(k, "deploy/k8s/configmap.yaml"));
        cpuDockerfile.env().keySet().forEach(n -> envKey(n, "deploy/Dockerfile"));
        gpuDockerfile.env().keySet().forEach(n -> envKey(n, "deploy/Dockerfile.gpu"));
        compose.path("services").fields().forEachRemaining(s ->
                environment(s.getValue()).keySet().forEach(n -> envKey(n, "deploy/docker-compose.yml " + s.getKey())));
        env(onlyContainer(k8s.get("StatefulSet"))).keySet().forEach(n -> envKey(n, "deploy/k8s/statefulset.yaml"));
        gpuEnvironment().keySet().forEach(n -> envKey(n, "deploy/k8s-gpu/statefulset-gpu-patch.yaml"));
    }

    private static void key(String key, String where) {
        KEYS.computeIfAbsent(key, k -> new TreeSet<>()).add(where);
    }

    /** ENRICHER_BATCH_MAX_RECORDS is batch.max.records; the service's own keys have no underscores. */
    private static void envKey(String name, String where) {
        if (!name.startsWith(EnricherConfig.ENV_PREFIX)) {
            return;
        }
        String key = name.substring(EnricherConfig.ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
        assertEquals(name, EnricherConfig.envName(key), "environment variable name of " + key);
        key(key, where + " (" + name + ")");
    }

    private static boolean isKafkaClientSetting(String key) {
        Set<String> known = new HashSet<>(StreamsConfig.configDef().names());
        known.addAll(ConsumerConfig.configNames());
        known.addAll(ProducerConfig.configNames());
        known.addAll(AdminClientConfig.configNames());
        for (String prefix : List.of("main.consumer.", "restore.consumer.", "global.consumer.", "consumer.",
                "producer.", "admin.")) {
            if (key.startsWith(prefix)) {
                return known.contains(key.substring(prefix.length()));
            }
        }
        return known.contains(key) || key.startsWith("topic.");
    }

    // ---- assertions shared by the base and the overlay ---------------------------------------------------------

    private static void assertProbe(JsonNode container, String probe, String path) {
        assertProbe(container, container, probe, path);
    }

    /** The probe of container; a named port is looked up in portsOf (the base container for a patch). */
    private static void assertProbe(JsonNode container, JsonNode portsOf, String probe, String path) {
        JsonNode get = container.path(probe).path("httpGet");
        assertEquals(path, get.path("path").asText(), probe + " path");
        JsonNode port = get.path("port");
        assertEquals(HTTP_PORT, port.isInt() ? port.asInt() : containerPort(portsOf, port.asText()), probe + " port");
    }

    private static void assertKafkaTrigger(JsonNode spec, Properties config) {
        JsonNode trigger = spec.path("triggers").get(0);
        assertEquals("kafka", trigger.path("type").asText());
        JsonNode meta = trigger.path("metadata");
        assertEquals(config.getProperty(EnricherConfig.APPLICATION_ID), meta.path("consumerGroup").asText(),
                "the consumer group is the application.id");
        assertTrue(List.of(config.getProperty("input.topics").split(",")).contains(meta.path("topic").asText()));
        assertEquals(config.getProperty(EnricherConfig.BOOTSTRAP_SERVERS), meta.path("bootstrapServers").asText());
        assertTrue(Integer.parseInt(meta.path("lagThreshold").asText()) > 0, "lagThreshold");
    }

    private static void assertReplicas(JsonNode spec, int threads, int partitions) {
        int min = spec.path("minReplicaCount").asInt();
        int max = spec.path("maxReplicaCount").asInt();
        assertTrue(1 <= min && min <= max, "1 <= minReplicaCount <= maxReplicaCount");
        assertTrue(max * threads <= partitions, max + " replicas x " + threads + " stream threads exceed "
                + partitions + " partitions");
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    private static String read(Path file) {
        try {
            FILES.add(file);
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> documents(Path file) {
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(read(file))) {
            List<JsonNode> out = new ArrayList<>();
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    out.add(doc);
                }
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(file + " is not valid YAML: " + e.getMessage(), e);
        }
    }

    private static JsonNode single(Path file) {
        List<JsonNode> docs = documents(file);
        assertEquals(1, docs.size(), file + " holds one document");
        return docs.get(0);
    }

    private static Map<String, JsonNode> byKind(Path dir) {
        Map<String, JsonNode> out = new TreeMap<>();
        for (String name : manifestFiles(dir)) {
            for (JsonNode doc : documents(dir.resolve(name))) {
                assertTrue(doc.hasNonNull("apiVersion") && doc.hasNonNull("kind") && doc.path("metadata").has("name"),
                        name + ": apiVersion, kind and metadata.name");
                assertTrue(out.put(doc.path("kind").asText(), doc) == null, "one " + doc.path("kind").asText());
            }
        }
        return out;
    }

    private static Set<String> manifestFiles(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode configMap() {
        return k8s.get("ConfigMap");
    }

    private static String configFileName() {
        return CONFIG_FILE.substring(CONFIG_FILE.lastIndexOf('/') + 1);
    }

    private static Properties properties(String text) {
        Properties props = new Properties();
        try {
            props.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(props.isEmpty(), "a configuration file with keys");
        return props;
    }

    private static JsonNode onlyContainer(JsonNode workload) {
        JsonNode containers = workload.path("spec").path("template").path("spec").path("containers");
        assertEquals(1, containers.size(), "one container");
        return containers.get(0);
    }

    private static Map<String, JsonNode> env(JsonNode container) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        container.path("env").forEach(v -> out.put(v.path("name").asText(), v));
        return out;
    }

    private static int containerPort(JsonNode container, String name) {
        for (JsonNode port : container.path("ports")) {
            if (port.path("name").asText().equals(name)) {
                return port.path("containerPort").asInt();
            }
        }
        return fail("no container port named " + name);
    }

    /** A compose service's environment, in its map or its list form. */
    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode env = service.path("environment");
        if (env.isObject()) {
            env.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        } else {
            for (JsonNode item : env) {
                String s = item.asText();
                int eq = s.indexOf('=');
                out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
            }
        }
        return out;
    }

    private static Map<String, String> stringMap(JsonNode node) {
        Map<String, String> out = new TreeMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> jsonArray(String text) {
        assertNotNull(text);
        try {
            return List.of(JSON.readValue(text, String[].class));
        } catch (IOException e) {
            throw new AssertionError("not an exec-form JSON array: " + text, e);
        }
    }

    /** The patterns of a .dockerignore file, comments and blank lines dropped. */
    static List<String> rules(String dockerignore) {
        return dockerignore.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    /** Instructions of a Dockerfile (continuations joined, comments dropped), by build stage. */
    record Dockerfile(List<List<String[]>> stages, String dockerignore) {
        static Dockerfile parse(String text, String dockerignore) {
            List<List<String[]>> stages = new ArrayList<>();
            StringBuilder line = new StringBuilder();
            for (String raw : text.split("\n", -1)) {
                String trimmed = raw.strip();
                if (trimmed.startsWith("#") || (trimmed.isEmpty() && line.length() == 0)) {
                    continue;
                }
                if (trimmed.endsWith("\\")) {
                    line.append(trimmed, 0, trimmed.length() - 1).append(' ');
                    continue;
                }
                line.append(trimmed);
                String[] parts = line.toString().strip().split("\\s+", 2);
                line.setLength(0);
                if (parts[0].isEmpty()) {
                    continue;
                }
                String[] instruction = {parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1].strip() : ""};
                if (instruction[0].equals("FROM")) {
                    stages.add(new ArrayList<>());
                }
                assertFalse(stages.isEmpty(), "a Dockerfile starts with FROM");
                stages.get(stages.size() - 1).add(instruction);
            }
            return new Dockerfile(stages, dockerignore);
        }

        List<String> all(String keyword) {
            return stages.stream().flatMap(List::stream).filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
        }

        List<String> stage(int index, String keyword) {
            return stages.get(index).stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
        }

        String last(String keyword) {
            List<String> values = stage(stages.size() - 1, keyword);
            return values.isEmpty() ? null : values.get(values.size() - 1);
        }

        /** ENV of the runtime stage: KEY=value pairs, values optionally double-quoted. */
        Map<String, String> env() {
            Map<String, String> out = new LinkedHashMap<>();
            Pattern m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"([^\"]*)\"|(\\S*))");
            for (String env : stage(stages.size() - 1, "ENV")) {
                Matcher pairs = m.matcher(env);
                while (pairs.find()) {
                    out.put(pairs.group(1), pairs.group(3) != null ? pairs.group(3) : pairs.group(4));
                }
            }
            return out;
        }
    }

    /**
     * {@code models/build/starter-<task>} is made by the build (prepare-package, after the unit tests) from
     * {@code models/starter/<task>/}: that folder stands for it; any other path stands for itself.
     */
    private static Path starterSource(Path host) {
        Path built = root.resolve("models").resolve("build");
        String name = host.getFileName().toString();
        if (host.getParent() != null && host.getParent().equals(built) && name.startsWith("starter-")) {
            return root.resolve("models").resolve("starter").resolve(name.substring("starter-".length()));
        }
        return host;
    }
}
