package dev.enricher.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the benchmarks find the model bundles: {@code -Denricher.models.dir}, else {@code models/} here. */
final class Fixtures {
    private Fixtures() {}

    static Path bundle(String name) {
        Path dir = Path.of(System.getProperty("enricher.models.dir", "models")).toAbsolutePath().normalize()
                .resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no model bundle at " + dir + ": run from the repository root or set "
                    + "-Denricher.models.dir");
        }
        return dir;
    }
}
