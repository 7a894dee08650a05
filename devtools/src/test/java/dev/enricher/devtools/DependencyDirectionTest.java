package dev.enricher.devtools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way, read from the sources' imports: the service imports nothing of the developer
 * tooling or the broker, and the bench nothing of the service's application package (its commands hand it the
 * service, {@link ServiceTargets}).
 */
class DependencyDirectionTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theServiceImportsNoToolingAndNoBroker() {
        List<String> imports = imports(REPO.resolve("streams-app/src/main/java"));
        assertTrue(imports.size() > 100, "read the service's imports: " + imports.size());
        List<String> wrong = imports.stream().filter(i -> i.startsWith("dev.enricher.devtools.")
                || i.startsWith("dev.enricher.bench.") || i.startsWith("dev.enricher.broker.")
                || i.startsWith("kafka.") || i.startsWith("scala.")).toList();
        assertEquals(List.of(), wrong);
    }

    @Test
    void theBenchImportsNothingOfTheApplicationPackage() {
        List<String> imports = imports(REPO.resolve("devtools/src/main/java/dev/enricher/bench"));
        assertTrue(imports.size() > 50, "read the bench's imports: " + imports.size());
        List<String> wrong = imports.stream().filter(i -> i.startsWith("dev.enricher.app.")
                || i.startsWith("dev.enricher.devtools.")).toList();
        assertEquals(List.of(), wrong);
    }

    /** Every import (static ones without the keyword) of the .java files under {@code dir}. */
    private static List<String> imports(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.toString().endsWith(".java")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).map(String::strip).filter(l -> l.startsWith("import "))
                    .map(l -> l.replaceFirst("^import\\s+(static\\s+)?", "").replaceAll(";$", "")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
