package dev.enricher.serde;

import org.apache.avro.Schema;

/**
 * The two calls of the Confluent schema-registry API the serdes need. Implementations cache and are
 * thread-safe.
 */
public interface SchemaRegistry {

    /** Registers (or finds) {@code schema} under {@code subject} and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with this global id. */
    Schema byId(int id);
}
