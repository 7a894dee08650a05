package dev.enricher.serde;

/** The schema registry refused a request or could not be reached; the message includes its answer. */
public class RegistryException extends RuntimeException {
    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }

    public RegistryException(String message) {
        super(message);
    }

    /**
     * The registry could not be reached, timed out, limited the rate or answered with a server error: trying
     * again later may work.
     */
    public static final class Unavailable extends RegistryException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The registry refused the credentials (HTTP 401 or 403). */
    public static final class Unauthorized extends RegistryException {
        public Unauthorized(String message) {
            super(message);
        }
    }

    /** The subject, or the version of it asked for, does not exist in the registry (HTTP 404). */
    public static final class NotFound extends RegistryException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The registry refused a schema as incompatible with what the subject already holds. */
    public static final class Incompatible extends RegistryException {
        public Incompatible(String message) {
            super(message);
        }
    }
}
