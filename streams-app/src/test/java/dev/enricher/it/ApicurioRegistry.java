package dev.enricher.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Apicurio Registry (in-memory storage) started from the distribution Maven unpacked into {@code
 * target/}, bound to loopback. Version 3 needs Java 21+ (found under /usr/lib/jvm); 2.x runs on Java 17.
 * Owns the child process; {@link #close()} stops it.
 */
final class ApicurioRegistry implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final Path log;

    private ApicurioRegistry(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static ApicurioRegistry start() throws Exception {
        Path dir = Path.of(System.getProperty("apicurio.dir", "target/apicurio-3.3.3"));
        String version = System.getProperty("apicurio.version", "3.3.3");
        Optional<Path> runner = runnerJar(dir);
        Assumptions.assumeTrue(runner.isPresent(), "Apicurio distribution not unpacked at " + dir
                + " (mvn verify unpacks it)");
        int wanted = version.startsWith("2.") ? 17 : 21;
        Optional<Path> java = findJava(wanted);
        Assumptions.assumeTrue(java.isPresent(), "Apicurio " + version + " needs Java " + wanted + "+; none found "
                + "(use -Dapicurio.version=2.6.13.Final with Java 17)");
        int port = freePort();
        int management = freePort();
        Path log = Files.createTempFile("apicurio", ".log");
        long start = System.nanoTime();
        Process process = new ProcessBuilder(java.get().toString(), "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + management,
                "-jar", runner.get().getFileName().toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ApicurioRegistry registry = new ApicurioRegistry(process, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio exited: " + Files.readString(log));
            }
            if (ok("http://127.0.0.1:" + management + "/health/ready") || ok("http://127.0.0.1:" + port + "/health/ready")) {
                System.out.printf("Apicurio Registry %s ready on port %d in %d ms%n", version, port,
                        (System.nanoTime() - start) / 1_000_000);
                return registry;
            }
            Thread.sleep(200);
        }
        registry.close();
        throw new IllegalStateException("Apicurio not ready within 90 s: " + Files.readString(log));
    }

    /** quarkus-run.jar (3.x) or *-runner.jar (2.x). */
    private static Optional<Path> runnerJar(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("quarkus-run.jar"))) {
            return Optional.of(dir.resolve("quarkus-run.jar"));
        }
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith("-runner.jar")).findFirst();
        }
    }

    /** The Confluent-compatible API. */
    String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    /** Sends a request to the Confluent-compatible API; returns status and body. */
    HttpResponse<String> request(String method, String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean ok(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** This JVM if it is recent enough, else a JDK under /usr/lib/jvm of at least {@code feature}. */
    private static Optional<Path> findJava(int feature) throws IOException {
        if (Runtime.version().feature() >= feature) {
            return Optional.of(Path.of(System.getProperty("java.home"), "bin", "java"));
        }
        List<Path> candidates = new ArrayList<>();
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> dirs = Files.list(jvms)) {
                dirs.forEach(candidates::add);
            }
        }
        for (Path home : candidates) {
            Path release = home.resolve("release");
            Path java = home.resolve("bin/java");
            if (Files.isRegularFile(release) && Files.isExecutable(java)) {
                for (String line : Files.readAllLines(release)) {
                    if (line.startsWith("JAVA_VERSION=")) {
                        String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                        int major = Integer.parseInt(v.split("[.+-]")[0]);
                        if (major >= feature) {
                            return Optional.of(java);
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    boolean isRunning() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
