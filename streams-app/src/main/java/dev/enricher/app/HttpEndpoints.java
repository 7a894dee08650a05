package dev.enricher.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The service's HTTP port: Prometheus metrics and Kubernetes probes. Owns one small server thread; {@link
 * #close()} stops it (idempotent).
 */
public final class HttpEndpoints implements AutoCloseable {
    public static final int DEFAULT_PORT = 8080;
    public static final String METRICS_PATH = "/metrics";
    public static final String LIVE_PATH = "/health/live";
    public static final String READY_PATH = "/health/ready";

    private final HttpServer server;

    private HttpEndpoints(HttpServer server) {
        this.server = server;
    }

    /**
     * Starts serving on all interfaces.
     *
     * @param port 0 picks a free port
     * @param live true while the process can do its work (else the pod should be restarted)
     * @param ready true while it should receive traffic: Kafka Streams running, models loaded, not stopping
     */
    public static HttpEndpoints start(int port, Supplier<String> metrics, BooleanSupplier live, BooleanSupplier ready) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
            server.createContext(METRICS_PATH, ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.get()));
            server.createContext(LIVE_PATH, ex -> probe(ex, live.getAsBoolean()));
            server.createContext(READY_PATH, ex -> probe(ex, ready.getAsBoolean()));
            server.setExecutor(Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "enricher-http");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return new HttpEndpoints(server);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics and probes on port " + port + " (http.port): "
                    + e.getMessage(), e);
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
    }
}
