package dev.enricher.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The service's HTTP port: Prometheus metrics and Kubernetes probes. Owns the JDK server and its {@link #WORKERS}
 * daemon worker threads; {@link #close()} stops both (idempotent).
 *
 * <p>Connections are bounded in time by the JDK server's system properties, which {@link #start} sets unless they
 * are already set (e.g. with {@code -D}): a request must have arrived within {@code sun.net.httpserver.maxReqTime}
 * (5 s), a response must be sent within {@code maxRspTime} (10 s), and a kept-alive connection is closed after
 * {@code idleInterval} (10 s) without a request. A connection that sends nothing holds no worker and is closed
 * after maxReqTime, on the server's idle check every 10 s; one stalled inside a request holds a worker until
 * maxReqTime. The JDK reads these properties once per JVM, when its first server is created: if another
 * component created one earlier, its values apply.
 */
public final class HttpEndpoints implements AutoCloseable {
    public static final int DEFAULT_PORT = 8080;
    public static final String METRICS_PATH = "/metrics";
    public static final String LIVE_PATH = "/health/live";
    public static final String READY_PATH = "/health/ready";
    /** Worker threads: requests served at once, stalled ones included. */
    public static final int WORKERS = 4;

    private final HttpServer server;
    private final ExecutorService workers;

    private HttpEndpoints(HttpServer server, ExecutorService workers) {
        this.server = server;
        this.workers = workers;
    }

    /**
     * Starts serving.
     *
     * @param address 0.0.0.0 for all interfaces (IPv6 too where the JVM is dual-stack), or an address or host name
     *     of this machine, e.g. 127.0.0.1 for loopback only
     * @param port 0 picks a free port
     * @param live true while the process can do its work (else the pod should be restarted)
     * @param ready true while it can do its work: models loaded, Kafka Streams running (or rebalancing after its
     *     first start), no task waiting out a transient fault, not stopping
     */
    public static HttpEndpoints start(String address, int port, Supplier<String> metrics, BooleanSupplier live,
            BooleanSupplier ready) {
        setIfAbsent("sun.net.httpserver.maxReqTime", "5");
        setIfAbsent("sun.net.httpserver.maxRspTime", "10");
        setIfAbsent("sun.net.httpserver.idleInterval", "10");
        try {
            InetSocketAddress socketAddress = new InetSocketAddress(address, port);
            if (socketAddress.isUnresolved()) {
                throw new UnknownHostException("unknown host " + address);
            }
            HttpServer server = HttpServer.create(socketAddress, 16);
            server.createContext(METRICS_PATH, ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.get()));
            server.createContext(LIVE_PATH, ex -> probe(ex, live.getAsBoolean()));
            server.createContext(READY_PATH, ex -> probe(ex, ready.getAsBoolean()));
            AtomicInteger threads = new AtomicInteger();
            ExecutorService workers = Executors.newFixedThreadPool(WORKERS, r -> {
                Thread t = new Thread(r, "enricher-http-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(workers);
            server.start();
            return new HttpEndpoints(server, workers);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics and probes on " + address + " port " + port
                    + " (http.bind.address, http.port): " + e.getMessage(), e);
        }
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void probe(HttpExchange exchange, boolean ok) throws IOException {
        respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "not ready\n");
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }
}
