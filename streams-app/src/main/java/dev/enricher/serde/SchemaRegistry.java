package dev.enricher.serde;

import org.apache.avro.Schema;

/**
 * The calls of the Confluent schema-registry API the serdes need. Implementations cache and are thread-safe.
 */
public interface SchemaRegistry {

    /** Registers (or finds) {@code schema} under {@code subject} and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with this global id. */
    Schema byId(int id);

    /**
     * A version registered under {@code subject}, registering nothing.
     *
     * @param version {@code latest} or a version number (1, 2, ...)
     * @throws RegistryException.NotFound when the subject or that version does not exist
     */
    Registered version(String subject, String version);

    /** A schema as registered under a subject: its global id, its version in the subject, the schema. */
    record Registered(int id, int version, Schema schema) {}
}
