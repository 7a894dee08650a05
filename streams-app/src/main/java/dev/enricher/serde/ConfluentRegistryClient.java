package dev.enricher.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.Schema;

/**
 * A client of the Confluent schema-registry REST API, spoken by Confluent Schema Registry, Apicurio
 * ({@code /apis/ccompat/v7}), Karapace and Redpanda: registers schemas under a subject and looks them up by id.
 * Results are cached; registrations and {@link #version} lookups (the start-up work) that fail for lack of an answer
 * (connection refused, timeouts, 5xx) are retried {@code retries} times with a fixed backoff, while {@link #byId}
 * (called from stream threads at run time) makes one attempt. Messages and {@link #url()} show the URL with its
 * user-info hidden; the URL as given is used only for requests. Thread-safe.
 */
public final class ConfluentRegistryClient implements SchemaRegistry {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How to reach the registry.
     *
     * @param url base URL, e.g. {@code http://registry:8080/apis/ccompat/v7}; user-info in it is never shown, and
     *     not sent either (Java's HTTP client ignores it): use {@code basicAuthUserInfo}
     * @param basicAuthUserInfo {@code user:password}, or empty
     * @param bearerToken a token sent as {@code Authorization: Bearer}, or empty
     * @param trustStore PKCS12/JKS trust store for TLS, or empty for the JVM's default
     * @param keyStore key store for mutual TLS, or empty
     */
    public record Settings(String url, Optional<String> basicAuthUserInfo, Optional<String> bearerToken,
                           Optional<Store> trustStore, Optional<Store> keyStore, Duration requestTimeout, int retries,
                           Duration retryBackoff) {
        /** The URL's user-info and the secrets hidden. */
        @Override
        public String toString() {
            return "Settings[url=" + redact(url) + ", basicAuthUserInfo=" + basicAuthUserInfo.map(s -> "[hidden]")
                    + ", bearerToken=" + bearerToken.map(s -> "[hidden]") + ", trustStore=" + trustStore + ", keyStore="
                    + keyStore + ", requestTimeout=" + requestTimeout + ", retries=" + retries + ", retryBackoff="
                    + retryBackoff + "]";
        }
    }

    /** A key or trust store file. */
    public record Store(Path location, String password, String type) {
        /** The password hidden. */
        @Override
        public String toString() {
            return "Store[location=" + location + ", password=[hidden], type=" + type + "]";
        }
    }

    private final Settings settings;
    private final String baseUrl;
    private final String shownUrl;
    private final HttpClient http;
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    /** The last failed run-time lookup and until when others fail fast without a request (nanoTime). */
    private volatile RegistryException.Unavailable lastUnavailable;
    private volatile long unavailableUntilNanos;

    public ConfluentRegistryClient(Settings settings) {
        this.settings = settings;
        this.baseUrl = settings.url().replaceAll("/+$", "");
        this.shownUrl = redact(baseUrl);
        try {
            HttpRequest.newBuilder(URI.create(baseUrl));
        } catch (IllegalArgumentException e) {
            // not chained: its message quotes the URL, user-info included
            throw new RegistryException("schema registry URL " + shownUrl + " is not a valid http(s) URL with a host");
        }
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(settings.requestTimeout());
        if (settings.trustStore().isPresent() || settings.keyStore().isPresent()) {
            builder.sslContext(sslContext(settings));
        }
        this.http = builder.build();
    }

    /** The base URL with its user-info hidden ({@code http://[hidden]@host/...}): for messages and logs. */
    public String url() {
        return shownUrl;
    }

    /**
     * {@code url} with everything between the scheme's {@code ://} (or the start) and its last {@code @} replaced by
     * {@code [hidden]}: a password holding {@code @} or {@code /} is hidden whole; a path holding {@code @} hides
     * more than needed.
     */
    public static String redact(String url) {
        return url.replaceAll("^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", "$1[hidden]@");
    }

    @Override
    public int register(String subject, Schema schema) {
        String key = subject + "\n" + schema;
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
        JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", body, "register " + schema.getFullName()
                + " under subject " + subject);
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new RegistryException("schema registry " + shownUrl + " answered registration under " + subject
                    + " without an id: " + answer);
        }
        idsBySubjectAndSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /**
     * The schema of an id, cached. Called from stream threads when Avro input carries an id not seen yet, so it
     * makes ONE request, bounded by the request timeout, and never the start-up retries: a retry loop there could
     * outlast {@code max.poll.interval.ms}. After a failure, lookups of uncached ids fail at once, without a
     * request, for {@code retryBackoff}: the stalled tasks of all stream threads do not each wait out a hanging
     * registry. The caller retries with its own backoff (the service keeps the record pending and retries it). A refusal of the credentials counts as unavailable here: the record is not bad, the
     * credentials are the operator's to fix.
     *
     * @throws RegistryException.Unavailable when that request gets no answer, a server error, a timeout or rate
     *     limit (408, 429), or a refusal of the credentials (401, 403)
     */
    @Override
    public Schema byId(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        RegistryException.Unavailable recent = lastUnavailable;
        if (recent != null && System.nanoTime() < unavailableUntilNanos) {
            throw new RegistryException.Unavailable("not asking again for schema id " + id + " yet (schema.registry"
                    + ".retry.backoff.ms after the last failure: " + recent.getMessage() + ")", recent);
        }
        JsonNode answer;
        try {
            answer = sendOnce("GET", "/schemas/ids/" + id, null, "look up schema id " + id + " (one attempt at run time)");
        } catch (RegistryException.Unauthorized e) {
            throw unavailableFor(new RegistryException.Unavailable(e.getMessage(), e));
        } catch (RegistryException.Unavailable e) {
            throw unavailableFor(e);
        }
        if (!answer.path("schema").isTextual()) {
            throw new RegistryException("schema registry " + shownUrl + " answered the lookup of schema id " + id
                    + " without a schema: " + answer);
        }
        Schema schema = new Schema.Parser().parse(answer.path("schema").asText());
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    /** Remembers a failed run-time lookup: others fail fast for schema.registry.retry.backoff.ms. */
    private RegistryException.Unavailable unavailableFor(RegistryException.Unavailable e) {
        unavailableUntilNanos = System.nanoTime() + settings.retryBackoff().toNanos();
        lastUnavailable = e;
        return e;
    }

    /** The id of the latest version registered under {@code subject}. */
    public int latestId(String subject) {
        return version(subject, "latest").id();
    }

    /**
     * {@inheritDoc} Cached by id; retried as registrations are (a start-up call).
     *
     * @throws RegistryException.NotFound on HTTP 404 (no such subject or version)
     */
    @Override
    public Registered version(String subject, String version) {
        JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions/" + encode(version), null,
                "read version " + version + " of subject " + subject);
        int id = answer.path("id").asInt(-1);
        if (id < 0 || !answer.path("schema").isTextual()) {
            throw new RegistryException("schema registry " + shownUrl + " answered the read of version " + version
                    + " of subject " + subject + " without an id and a schema: " + answer);
        }
        Schema schema = schemasById.computeIfAbsent(id, i -> new Schema.Parser().parse(answer.path("schema").asText()));
        return new Registered(id, answer.path("version").asInt(-1), schema);
    }

    private JsonNode send(String method, String path, String body, String what) {
        RegistryException last = null;
        for (int attempt = 0; attempt <= settings.retries(); attempt++) {
            if (attempt > 0) {
                sleep(settings.retryBackoff());
            }
            try {
                return sendOnce(method, path, body, what);
            } catch (RegistryException.Unavailable e) {
                last = e;
            }
        }
        throw new RegistryException.Unavailable(last.getMessage() + " (after " + (settings.retries() + 1)
                + " attempts, " + settings.retryBackoff().toMillis() + " ms apart)", last.getCause());
    }

    private JsonNode sendOnce(String method, String path, String body, String what) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(settings.requestTimeout())
                .header("Accept", CONTENT_TYPE + ", application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        settings.basicAuthUserInfo().ifPresent(userInfo -> request.header("Authorization", "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8))));
        settings.bearerToken().ifPresent(token -> request.header("Authorization", "Bearer " + token));
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RegistryException.Unavailable("schema registry " + shownUrl + " cannot be reached to " + what
                    + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException.Unavailable("interrupted while asking schema registry " + shownUrl + " to "
                    + what, e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new RegistryException("schema registry " + shownUrl + " answered " + what + " with invalid JSON: "
                        + response.body(), e);
            }
        }
        String answer = "HTTP " + status + " " + response.body();
        if (status == 401 || status == 403) {
            throw new RegistryException.Unauthorized("schema registry " + shownUrl + " refused the credentials to "
                    + what + " (schema.registry.basic.auth.user.info, schema.registry.bearer.token): " + answer);
        }
        if (status >= 500 || status == 408 || status == 429) {
            throw new RegistryException.Unavailable("schema registry " + shownUrl + " failed to " + what + ": "
                    + answer, null);
        }
        if (status == 404) {
            throw new RegistryException.NotFound("schema registry " + shownUrl + " cannot " + what + ", it does not "
                    + "exist: " + answer);
        }
        if (status == 409) {
            throw new RegistryException.Incompatible("schema registry " + shownUrl + " refused to " + what
                    + " as incompatible with the versions it holds: " + answer);
        }
        throw new RegistryException("schema registry " + shownUrl + " refused to " + what + ": " + answer);
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException.Unavailable("interrupted while waiting to retry the schema registry", e);
        }
    }

    private static SSLContext sslContext(Settings settings) {
        try {
            TrustManagerFactory trust = null;
            if (settings.trustStore().isPresent()) {
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(load(settings.trustStore().get()));
            }
            KeyManagerFactory keys = null;
            if (settings.keyStore().isPresent()) {
                Store store = settings.keyStore().get();
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(load(store), store.password().toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new RegistryException("cannot set up TLS for schema registry " + redact(settings.url()) + ": "
                    + e.getMessage(), e);
        }
    }

    private static KeyStore load(Store store) throws GeneralSecurityException, IOException {
        KeyStore keyStore = KeyStore.getInstance(store.type());
        try (InputStream in = Files.newInputStream(store.location())) {
            keyStore.load(in, store.password().toCharArray());
        }
        return keyStore;
    }
}
