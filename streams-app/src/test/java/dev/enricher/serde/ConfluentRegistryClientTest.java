package dev.enricher.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.enricher.avro.EnrichedEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The registry client's HTTP contract against a scripted local server: paths, authentication headers, caching,
 * retries of server errors (at start, not in run-time lookups), the meaning of 409, and URLs shown without their
 * user-info. (RegistryIT runs it against a real Apicurio.)
 */
class ConfluentRegistryClientTest {
    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int status = 200;
    /** While set, requests get no answer until the test ends (a registry that accepts and hangs). */
    private volatile boolean hang;
    private final CountDownLatch released = new CountDownLatch(1);
    private final ExecutorService handlers = Executors.newCachedThreadPool();

    private String start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(handlers);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            if (hang) {
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
                return;
            }
            String body;
            int code;
            if (failuresLeft.getAndDecrement() > 0) {
                code = 503;
                body = "{\"message\":\"try later\"}";
            } else if (exchange.getRequestURI().getPath().contains("/schemas/ids/")) {
                code = status;
                body = "{\"schema\": " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                        EnrichedEvent.getClassSchema().toString()) + "}";
            } else {
                code = status;
                body = code == 200 ? "{\"id\": 42}" : "{\"error_code\":409,\"message\":\"incompatible\"}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7/";
    }

    @AfterEach
    void stop() {
        released.countDown();
        if (server != null) {
            server.stop(0);
        }
        handlers.shutdownNow();
    }

    private static ConfluentRegistryClient client(String url, Optional<String> basic, Optional<String> bearer, int retries) {
        return client(url, basic, bearer, retries, Duration.ofSeconds(2));
    }

    private static ConfluentRegistryClient client(String url, Optional<String> basic, Optional<String> bearer,
                                                  int retries, Duration requestTimeout) {
        return new ConfluentRegistryClient(new ConfluentRegistryClient.Settings(url, basic, bearer, Optional.empty(),
                Optional.empty(), requestTimeout, retries, Duration.ofMillis(10)));
    }

    @Test
    void registersUnderTheSubjectWithBasicAuthAndCachesTheId() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.of("alice:s3cret"), Optional.empty(), 0);
        assertEquals(42, client.register("enriched-value", EnrichedEvent.getClassSchema()));
        assertEquals(42, client.register("enriched-value", EnrichedEvent.getClassSchema()));
        assertEquals(List.of("POST /apis/ccompat/v7/subjects/enriched-value/versions"), requests);
        assertEquals("Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)),
                authorizations.get(0));
        assertEquals(EnrichedEvent.getClassSchema(), client.byId(42), "registered schemas are known by id");
        assertEquals(1, requests.size());
    }

    @Test
    void looksUpSchemasByIdWithABearerToken() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.of("t0ken"), 0);
        assertEquals(EnrichedEvent.getClassSchema(), client.byId(7));
        client.byId(7);
        assertEquals(List.of("GET /apis/ccompat/v7/schemas/ids/7"), requests);
        assertEquals("Bearer t0ken", authorizations.get(0));
    }

    @Test
    void retriesServerErrorsThenSucceeds() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.empty(), 3);
        failuresLeft.set(2);
        assertEquals(42, client.register("s-value", EnrichedEvent.getClassSchema()));
        assertEquals(3, requests.size());
    }

    @Test
    void aConflictIsAnIncompatibleSchemaAndIsNotRetried() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.empty(), 3);
        status = 409;
        RegistryException e = assertThrows(RegistryException.Incompatible.class,
                () -> client.register("s-value", EnrichedEvent.getClassSchema()));
        assertTrue(e.getMessage().contains("HTTP 409") && e.getMessage().contains("incompatible"), e.getMessage());
        assertEquals(1, requests.size());
    }

    @Test
    void aMissingSubjectIsNotFoundNamingItAndIsNotRetried() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.empty(), 3);
        status = 404;
        RegistryException e = assertThrows(RegistryException.NotFound.class, () -> client.version("s-value", "latest"));
        assertTrue(e.getMessage().contains("subject s-value") && e.getMessage().contains("HTTP 404"), e.getMessage());
        assertEquals(List.of("GET /apis/ccompat/v7/subjects/s-value/versions/latest"), requests);
    }

    @Test
    void refusedCredentialsFailTheStartButOnlyHoldARunTimeLookup() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.empty(), 3);
        status = 401;
        RegistryException atStart = assertThrows(RegistryException.Unauthorized.class,
                () -> client.register("s-value", EnrichedEvent.getClassSchema()));
        assertTrue(atStart.getMessage().contains("schema.registry.basic.auth.user.info"), atStart.getMessage());
        assertEquals(1, requests.size(), "a refusal is not retried");
        for (int code : new int[] {401, 403, 408, 429}) {
            status = code;
            Thread.sleep(50);
            RegistryException atRunTime = assertThrows(RegistryException.Unavailable.class, () -> client.byId(7),
                    "HTTP " + code + " holds the record instead of dead-lettering it");
            assertTrue(atRunTime.getMessage().contains("HTTP " + code), atRunTime.getMessage());
        }
    }

    @Test
    void aRunTimeLookupOfAHangingRegistryIsOneRequestTimeout() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.empty(), 20, Duration.ofSeconds(1));
        hang = true;
        long start = System.nanoTime();
        RegistryException e = assertThrows(RegistryException.Unavailable.class, () -> client.byId(7));
        System.out.printf("hanging registry, lookup by id (%d ms): %s%n", (System.nanoTime() - start) / 1_000_000,
                e.getMessage());
        assertEquals(List.of("GET /apis/ccompat/v7/schemas/ids/7"), requests, "one attempt, not the 21 of the start");
        assertTrue(e.getMessage().contains("timed out") && e.getMessage().contains("one attempt"), e.getMessage());
    }

    @Test
    void aRunTimeLookupIsNotRetriedAndWorksOnTheCallersNextTry() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.empty(), 3);
        failuresLeft.set(1);
        RegistryException e = assertThrows(RegistryException.Unavailable.class, () -> client.byId(7));
        assertTrue(e.getMessage().contains("HTTP 503"), e.getMessage());
        assertEquals(1, requests.size());
        RegistryException soon = assertThrows(RegistryException.Unavailable.class, () -> client.byId(8));
        assertTrue(soon.getMessage().contains("not asking again"), soon.getMessage());
        assertEquals(1, requests.size(), "within the backoff after a failure, lookups fail without a request");
        Thread.sleep(50);
        assertEquals(EnrichedEvent.getClassSchema(), client.byId(7));
        assertEquals(2, requests.size());
    }

    @Test
    void startUpWorkKeepsItsRetriesAgainstAHangingRegistry() throws Exception {
        ConfluentRegistryClient client = client(start(), Optional.empty(), Optional.empty(), 2, Duration.ofMillis(500));
        hang = true;
        RegistryException e = assertThrows(RegistryException.Unavailable.class,
                () -> client.register("s-value", EnrichedEvent.getClassSchema()));
        assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        assertEquals(3, requests.size());
    }

    @Test
    void theUrlsUserInfoIsInNoMessage() throws Exception {
        String secret = "MARK-s3cret";
        String base = start();
        String url = base.replace("http://", "http://someuser:" + secret + "@");
        String shown = base.replace("http://", "http://[hidden]@").replaceAll("/$", "");
        ConfluentRegistryClient client = client(url, Optional.empty(), Optional.empty(), 1, Duration.ofMillis(300));
        assertEquals(shown, client.url());

        failuresLeft.set(100);
        RegistryException unavailable = assertThrows(RegistryException.Unavailable.class,
                () -> client.register("s-value", EnrichedEvent.getClassSchema()));
        assertEquals("POST /apis/ccompat/v7/subjects/s-value/versions", requests.get(0), "requests use the real URL");
        failuresLeft.set(0);
        status = 409;
        RegistryException incompatible = assertThrows(RegistryException.Incompatible.class,
                () -> client.register("s-value", EnrichedEvent.getClassSchema()));
        status = 400;
        RegistryException refused = assertThrows(RegistryException.class,
                () -> client.register("s-value", EnrichedEvent.getClassSchema()));
        hang = true;
        RegistryException timedOut = assertThrows(RegistryException.Unavailable.class, () -> client.byId(9));

        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        RegistryException refusedConnection = assertThrows(RegistryException.Unavailable.class,
                () -> client("http://someuser:" + secret + "@127.0.0.1:" + closedPort, Optional.empty(),
                        Optional.empty(), 0).byId(1));
        RegistryException badUrl = assertThrows(RegistryException.class,
                () -> client("http://someuser:" + secret + " x@127.0.0.1:1", Optional.empty(), Optional.empty(), 0));
        RegistryException noHost = assertThrows(RegistryException.class,
                () -> client("http://someuser:" + secret + "@registry_1:8081", Optional.empty(), Optional.empty(), 0));

        List<RegistryException> failures = List.of(unavailable, incompatible, refused, timedOut, refusedConnection,
                badUrl, noHost);
        assertEquals(7, failures.size());
        for (RegistryException e : failures) {
            System.out.println("user-info hidden: " + e.getMessage());
            assertTrue(e.getMessage().contains("http://[hidden]@"), e.getMessage());
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t).contains(secret), String.valueOf(t));
            }
        }
    }

    @Test
    void settingsShowNoSecrets() {
        String secret = "MARK-s3cret";
        var store = new ConfluentRegistryClient.Store(Path.of("/etc/keys.p12"), secret, "PKCS12");
        var settings = new ConfluentRegistryClient.Settings("https://u:" + secret + "@registry:8081",
                Optional.of("alice:" + secret), Optional.of(secret), Optional.of(store), Optional.of(store),
                Duration.ofSeconds(1), 0, Duration.ofMillis(10));
        assertFalse(settings.toString().contains(secret), settings.toString());
        assertTrue(settings.toString().contains("https://[hidden]@registry:8081"), settings.toString());
    }

    @Test
    void redactionHidesEverythingUpToTheLastAt() {
        assertEquals("http://[hidden]@h:1/x", ConfluentRegistryClient.redact("http://u:p@h:1/x"));
        assertEquals("http://[hidden]@h:1/x", ConfluentRegistryClient.redact("http://u:p@s/s@h:1/x"));
        assertEquals("[hidden]@h:1", ConfluentRegistryClient.redact("u:p@h:1"));
        assertEquals("https://h:8081/apis/ccompat/v7",
                ConfluentRegistryClient.redact("https://h:8081/apis/ccompat/v7"));
    }
}
