package dev.enricher.inference;

import java.nio.file.Path;

/** A model bundle that cannot be used: the message names the file and says what was expected and found. */
public final class BundleException extends RuntimeException {

    public BundleException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public BundleException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
