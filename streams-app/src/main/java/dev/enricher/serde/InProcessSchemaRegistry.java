package dev.enricher.serde;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * A registry held in memory, for the demo and tests: ids are given in order of first registration, from 1, so
 * the bytes are those a real registry would produce with the same ids. Not shared across processes.
 * Thread-safe.
 */
public final class InProcessSchemaRegistry implements SchemaRegistry {
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final List<Schema> schemas = new ArrayList<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
        return idsBySchema.computeIfAbsent(schema.toString(), s -> {
            schemas.add(schema);
            return schemas.size();
        });
    }

    @Override
    public synchronized Schema byId(int id) {
        if (id < 1 || id > schemas.size()) {
            throw new IllegalArgumentException("no schema with id " + id + " in the in-process registry");
        }
        return schemas.get(id - 1);
    }
}
