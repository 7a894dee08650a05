package dev.enricher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.enricher.app.EnricherService;
import dev.enricher.app.HttpEndpoints;
import dev.enricher.config.EnricherConfig;
import dev.enricher.serde.InProcessSchemaRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The HTTP port under misuse and misconfiguration, on the real broker: connections that send nothing or stall
 * inside a request neither keep the probes from answering nor stay open; a start on a port already taken exits
 * with code 1 naming http.port; http.bind.address limits where the port is served.
 */
class HttpHardeningIT {
    /** A functional bound for one request, not a speed requirement. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** Longer than the server's limits (5 s request, idle checks every 10 s), shorter than the JDK's defaults. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(25);
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();

    @Test
    void silentAndStalledConnectionsNeitherStarveTheProbesNorStayOpen() throws Exception {
        EnricherService service = startService("http-idle", Map.of());
        try {
            int port = service.httpPort();
            awaitReady(port);
            int silent = HttpEndpoints.WORKERS + 2;
            int stalled = HttpEndpoints.WORKERS - 1;
            List<Socket> sockets = new ArrayList<>();
            long opened = System.nanoTime();
            for (int i = 0; i < silent; i++) {
                sockets.add(new Socket("127.0.0.1", port));
            }
            for (int i = 0; i < stalled; i++) {
                Socket socket = new Socket("127.0.0.1", port);
                socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: localhost\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                sockets.add(socket);
            }
            Thread.sleep(500); // the server hands the stalled requests to workers before the probe comes

            long probeStart = System.nanoTime();
            HttpResponse<String> live = get(port, HttpEndpoints.LIVE_PATH);
            long liveMs = millisSince(probeStart);
            long scrapeStart = System.nanoTime();
            HttpResponse<String> metrics = get(port, HttpEndpoints.METRICS_PATH);
            long metricsMs = millisSince(scrapeStart);
            System.out.printf("with %d silent and %d stalled connections open (%d workers): %s answered %d in %d ms, "
                    + "%s answered %d in %d ms%n", silent, stalled, HttpEndpoints.WORKERS, HttpEndpoints.LIVE_PATH,
                    live.statusCode(), liveMs, HttpEndpoints.METRICS_PATH, metrics.statusCode(), metricsMs);
            assertEquals(200, live.statusCode());
            assertEquals("ok\n", live.body());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("enricher_model_info"), "a metrics exposition");

            assertEquals(silent + stalled, sockets.size());
            List<Long> closedMs = whenClosedByServer(sockets, opened);
            assertEquals(sockets.size(), closedMs.size());
            System.out.printf("server closed the silent connections %s ms and the stalled ones %s ms after they were "
                    + "opened (sun.net.httpserver.maxReqTime=%s s, idleInterval=%s s; -1: still open after %d s)%n",
                    closedMs.subList(0, silent), closedMs.subList(silent, sockets.size()),
                    System.getProperty("sun.net.httpserver.maxReqTime"),
                    System.getProperty("sun.net.httpserver.idleInterval"), CLOSE_TIMEOUT.toSeconds());
            for (int i = 0; i < closedMs.size(); i++) {
                assertTrue(closedMs.get(i) >= 0, "connection " + i + " closed by the server within " + CLOSE_TIMEOUT);
            }
            assertEquals(200, get(port, HttpEndpoints.LIVE_PATH).statusCode(), "still serving afterwards");
        } finally {
            service.close();
        }
    }

    @Test
    void startOnAPortAlreadyTakenExitsWithCodeOneNamingHttpPort() throws Exception {
        assertTrue(Files.isRegularFile(CrashRecoveryIT.JAR), "build the jar first (mvn package)");
        String prefix = KafkaTestSupport.uniquePrefix("http-taken");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "at_least_once");
        try (ServerSocket taken = new ServerSocket(0)) {
            props.put(EnricherConfig.HTTP_PORT, taken.getLocalPort());
            Path log = Files.createTempFile(prefix, ".log");
            Process child = CrashRecoveryIT.startChild(KafkaTestSupport.tempConfigFile(props), log);
            boolean exited = child.waitFor(120, TimeUnit.SECONDS);
            if (!exited) {
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            String output = Files.readString(log);
            assertTrue(exited, "exited by itself; log:\n" + output);
            String reason = output.lines().filter(l -> l.startsWith("cannot start:")).findFirst().orElse("(none)");
            System.out.println("start on taken port " + taken.getLocalPort() + ": exit code " + child.exitValue()
                    + ", " + reason);
            assertEquals(1, child.exitValue(), "exit code; log:\n" + output);
            assertTrue(reason.contains("http.port"), "the message names http.port; log:\n" + output);
        }
    }

    @Test
    void loopbackBindAddressServesOnLoopbackOnly() throws Exception {
        EnricherService service = startService("http-loopback", Map.of(EnricherConfig.HTTP_BIND_ADDRESS, "127.0.0.1"));
        try {
            int port = service.httpPort();
            assertEquals(200, get(port, HttpEndpoints.LIVE_PATH).statusCode(), "served on 127.0.0.1");
            Optional<InetAddress> other = nonLoopbackAddress();
            assumeTrue(other.isPresent(), "this machine has no non-loopback IPv4 address to try");
            try (Socket socket = new Socket()) {
                assertThrows(ConnectException.class, () -> socket.connect(new InetSocketAddress(other.get(), port),
                        (int) REQUEST_TIMEOUT.toMillis()), "not served on " + other.get());
            }
            System.out.println("http.bind.address=127.0.0.1: 200 on 127.0.0.1:" + port + ", connection refused on "
                    + other.get().getHostAddress() + ":" + port);
        } finally {
            service.close();
        }
    }

    private static EnricherService startService(String name, Map<String, Object> overrides) throws Exception {
        String prefix = KafkaTestSupport.uniquePrefix(name);
        KafkaTestSupport.broker().createTopics(1, prefix + "-in", prefix + "-out", prefix + "-dlq");
        Map<String, Object> props = KafkaTestSupport.serviceConfig(prefix, "at_least_once");
        props.putAll(overrides);
        EnricherService service = EnricherService.create(new EnricherConfig(props), new InProcessSchemaRegistry());
        service.start();
        return service;
    }

    private static void awaitReady(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (OperationsIT.status(port, HttpEndpoints.READY_PATH) != 200 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(200, OperationsIT.status(port, HttpEndpoints.READY_PATH), "service running");
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(REQUEST_TIMEOUT)
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * For each socket, in order, the milliseconds from {@code openedNanos} until the server ended the connection
     * (end of stream or reset), or -1 if it was still open after CLOSE_TIMEOUT. Closes the sockets.
     */
    private static List<Long> whenClosedByServer(List<Socket> sockets, long openedNanos) throws Exception {
        ExecutorService readers = Executors.newFixedThreadPool(sockets.size());
        try {
            List<Future<Long>> closed = new ArrayList<>();
            for (Socket socket : sockets) {
                closed.add(readers.submit(() -> {
                    try (socket) {
                        socket.setSoTimeout((int) CLOSE_TIMEOUT.toMillis());
                        InputStream in = socket.getInputStream();
                        while (in.read() != -1) {
                            // no response is due; read on until the server closes
                        }
                        return millisSince(openedNanos);
                    } catch (SocketTimeoutException e) {
                        return -1L;
                    } catch (SocketException e) {
                        return millisSince(openedNanos);
                    }
                }));
            }
            List<Long> ms = new ArrayList<>();
            for (Future<Long> f : closed) {
                ms.add(f.get());
            }
            return ms;
        } finally {
            readers.shutdownNow();
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                Optional<InetAddress> v4 = nic.inetAddresses().filter(a -> a instanceof Inet4Address).findFirst();
                if (v4.isPresent()) {
                    return v4;
                }
            }
        }
        return Optional.empty();
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
