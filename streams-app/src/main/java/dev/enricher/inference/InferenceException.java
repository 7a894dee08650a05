package dev.enricher.inference;

/** A failed model run, with the bundle and batch shape it failed on. */
public final class InferenceException extends RuntimeException {

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
