package dev.enricher.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker (the {@code kafka_2.13} server) running inside this JVM in KRaft
 * combined mode: node 1 is both broker and the only controller of a static quorum
 * {@code 1@localhost:<controller port>}. It serves the demo, the {@code broker} command and integration tests.
 *
 * <p>Every replication factor is 1 and the transaction log needs 1 in-sync replica, so idempotent and
 * transactional producers and Kafka Streams {@code exactly_once_v2} work against it. Listeners are plaintext,
 * unauthenticated and bound to {@code localhost} only. Topics a client names are auto-created with one partition
 * (Kafka's default); {@link #createTopics} chooses the partition count.
 *
 * <p>Ownership: whoever calls {@link #start} owns the broker and must {@link #close} it. The broker owns its
 * data folder only when it created it (a temp folder, deleted on close); a folder passed in is kept, and a later
 * start with the same folder reuses its topics and offsets. A folder may be used by one broker at a time.
 *
 * <p>Threading: all methods may be called from any thread. {@link #close} is idempotent; after it,
 * {@link #createTopics} throws {@link IllegalStateException}.
 *
 * <p>Logging: Kafka logs through SLF4J; the levels are the application's (logback.xml keeps Kafka at WARN).
 *
 * <p>Limits: free ports are found by binding and releasing them, so another process may take one before the
 * broker binds it, failing {@link #start}. As in a standalone broker, Kafka's fatal-error handlers (for example
 * on a failed data folder) halt the JVM.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    /** How long {@link #start} waits for the broker to answer before it fails. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration SHUTDOWN_ADMIN_TIMEOUT = Duration.ofSeconds(5);
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** Written by the storage formatter; its presence marks a folder as a formatted Kafka log folder. */
    private static final String META_PROPERTIES = "meta.properties";


    private final KafkaRaftServer server;
    private final Admin admin;
    private final String bootstrapServers;
    private final Path dataDir;
    private final boolean deleteDataDirOnClose;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Admin admin, String bootstrapServers, Path dataDir,
                                boolean deleteDataDirOnClose) {
        this.server = server;
        this.admin = admin;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
        this.deleteDataDirOnClose = deleteDataDirOnClose;
    }

    /**
     * Formats the data folder if it is new, starts the broker and blocks until it answers a cluster description
     * listing itself, for at most {@link #STARTUP_TIMEOUT}.
     *
     * @param port    the client (PLAINTEXT) port on localhost, or 0 for a free one; the controller always gets a
     *                free port of its own
     * @param dataDir the Kafka log folder: missing, empty, or one a previous broker of this class formatted
     *                (reused as is); null for a fresh temp folder deleted on {@link #close}
     * @return a running broker, never null; the caller must close it
     * @throws IllegalArgumentException if the port is out of range or {@code dataDir} holds files but no Kafka log
     * @throws IllegalStateException    if the broker does not start or answer in time; nothing is left running
     * @throws UncheckedIOException     if the data folder or a temp folder cannot be created or read
     */
    public static EmbeddedKafkaBroker start(int port, Path dataDir) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1..65535, was " + port);
        }
        long startNanos = System.nanoTime();
        boolean temp = dataDir == null;
        Path logDir = temp ? createTempDir() : prepareDataDir(dataDir.toAbsolutePath().normalize());

        int brokerPort = -1;
        int controllerPort = -1;
        KafkaRaftServer server = null;
        Admin admin = null;
        boolean started = false;
        try {
            brokerPort = port == 0 ? freePort() : port;
            controllerPort = freePort();
            while (controllerPort == brokerPort) {
                controllerPort = freePort();
            }
            KafkaConfig config = new KafkaConfig(serverProperties(brokerPort, controllerPort, logDir), false);
            boolean formatted = formatIfNew(logDir);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            String bootstrap = "localhost:" + brokerPort;
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    AdminClientConfig.CLIENT_ID_CONFIG, "embedded-broker-admin"));
            awaitAnswer(admin, startNanos + STARTUP_TIMEOUT.toNanos());
            LOG.info("Kafka broker listening on {} (controller port {}), {} log folder {}, started in {} ms",
                    bootstrap, controllerPort, formatted ? "new" : "reused", logDir,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, admin, bootstrap, logDir, temp);
            started = true;
            return broker;
        } catch (RuntimeException e) {
            throw new IllegalStateException(String.format(
                    "cannot start the embedded Kafka broker on localhost:%d (controller port %d, log folder %s): %s",
                    brokerPort, controllerPort, logDir, e.getMessage()), e);
        } finally {
            if (!started) {
                stopQuietly(server, admin);
                if (temp) {
                    deleteQuietly(logDir);
                }
            }
        }
    }

    /** The client bootstrap address, {@code localhost:<port>}; never null, stays the same after close. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The Kafka log folder; after close it no longer exists if this broker created it. */
    Path dataDir() {
        return dataDir;
    }

    /**
     * Creates topics with the given partition count and replication factor 1 and waits until the controller has
     * accepted them. Topics that already exist are left as they are, whatever their partition count.
     *
     * @param partitions at least 1
     * @param names      at least one topic name
     * @throws IllegalArgumentException if an argument is invalid
     * @throws IllegalStateException    if the broker is closed or a topic cannot be created
     */
    public void createTopics(int partitions, String... names) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        if (names == null || names.length == 0) {
            throw new IllegalArgumentException("at least one topic name is required");
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the embedded Kafka broker at " + bootstrapServers + " is closed");
            }
        }
        List<NewTopic> topics = new ArrayList<>(names.length);
        for (String name : names) {
            topics.add(new NewTopic(name, partitions, (short) 1));
        }
        CreateTopicsResult result = admin.createTopics(topics);
        for (String name : names) {
            try {
                result.values().get(name).get(STARTUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("topic " + name + " was not created within " + STARTUP_TIMEOUT, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + name, e);
            }
        }
    }

    /**
     * Shuts the broker down and waits until it has stopped, then deletes the data folder if this broker created
     * it. Idempotent; later calls return at once.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stopQuietly(server, admin);
        } finally {
            if (deleteDataDirOnClose) {
                deleteQuietly(dataDir);
            }
        }
    }

    private static Map<String, String> serverProperties(int brokerPort, int controllerPort, Path logDir) {
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        props.put("listeners", BROKER_LISTENER + "://localhost:" + brokerPort + ","
                + CONTROLLER_LISTENER + "://localhost:" + controllerPort);
        props.put("advertised.listeners", BROKER_LISTENER + "://localhost:" + brokerPort);
        props.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("inter.broker.listener.name", BROKER_LISTENER);
        props.put("log.dirs", logDir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("share.coordinator.state.topic.num.partitions", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("group.streams.initial.rebalance.delay.ms", "0");
        props.put("server.max.startup.time.ms", Long.toString(STARTUP_TIMEOUT.toMillis()));
        return props;
    }

    /** Formats {@code logDir} as node {@value #NODE_ID} of a new cluster unless it is already formatted. */
    private static boolean formatIfNew(Path logDir) {
        if (Files.exists(logDir.resolve(META_PROPERTIES))) {
            return false;
        }
        String dir = logDir.toString();
        try (PrintStream discard = new PrintStream(OutputStream.nullOutputStream())) {
            new Formatter()
                    .setPrintStream(discard)
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(dir))
                    .setMetadataLogDirectory(dir)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setWriteBootstrapSnapshot(true)
                    .run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka log folder " + dir + ": " + e.getMessage(), e);
        }
        return true;
    }

    /** Polls until the broker lists itself as a cluster member, or fails at the deadline. */
    private static void awaitAnswer(Admin admin, long deadlineNanos) {
        Exception last = null;
        while (true) {
            long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (leftMillis <= 0) {
                throw new IllegalStateException("the broker did not answer within " + STARTUP_TIMEOUT
                        + (last == null ? "" : "; last error: " + last), last);
            }
            int callMillis = (int) Math.min(leftMillis, 5_000);
            try {
                var nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(callMillis)).nodes()
                        .get(callMillis, TimeUnit.MILLISECONDS);
                if (nodes.stream().map(Node::id).anyMatch(id -> id == NODE_ID)) {
                    return;
                }
            } catch (ExecutionException e) {
                last = e.getCause() instanceof Exception cause ? cause : e;
            } catch (TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the broker to answer", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the broker to answer", e);
            }
        }
    }

    private static void stopQuietly(KafkaRaftServer server, Admin admin) {
        if (admin != null) {
            try {
                admin.close(SHUTDOWN_ADMIN_TIMEOUT);
            } catch (RuntimeException e) {
                LOG.warn("closing the embedded broker's admin client failed: {}", e.toString());
            }
        }
        if (server != null) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                LOG.warn("shutting the embedded Kafka broker down failed: {}", e.toString());
            }
        }
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("enricher-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp folder for the embedded Kafka broker", e);
        }
    }

    /** Creates the folder if needed; refuses one that holds files but was never formatted by Kafka. */
    private static Path prepareDataDir(Path dir) {
        try {
            Files.createDirectories(dir);
            if (Files.exists(dir.resolve(META_PROPERTIES))) {
                return dir;
            }
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("the Kafka data folder " + dir
                            + " is neither empty nor a Kafka log folder (it has no " + META_PROPERTIES + ")");
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + dir + " as the Kafka data folder", e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on localhost", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            LOG.warn("cannot delete the embedded broker's temp folder {}: {}", dir, e.toString());
        }
    }
}
