package dev.enricher.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.enricher.avro.EnrichedEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The registry client's HTTP contract against a scripted local server: paths, authentication headers, caching,
 * retries of server errors and the meaning of 409. (RegistryIT runs it against a real Apicurio.)
 */
class ConfluentRegistryClientTest {
    private HttpServer server;
    private final List<String> requests = new ArrayList<>();
    private final List<String> authorizations = new ArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int status = 200;

    private String start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
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
        if (server != null) {
            server.stop(0);
        }
    }

    private static ConfluentRegistryClient client(String url, Optional<String> basic, Optional<String> bearer, int retries) {
        return new ConfluentRegistryClient(new ConfluentRegistryClient.Settings(url, basic, bearer, Optional.empty(),
                Optional.empty(), Duration.ofSeconds(2), retries, Duration.ofMillis(10)));
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
}
