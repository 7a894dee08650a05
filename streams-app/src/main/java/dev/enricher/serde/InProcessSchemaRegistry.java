package dev.enricher.serde;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * A registry held in memory, for the demo and tests: ids are given in order of first registration, from 1, so
 * the bytes are those a real registry would produce with the same ids. Not shared across processes: consumers
 * cannot resolve its ids. Thread-safe.
 */
public final class InProcessSchemaRegistry implements SchemaRegistry {
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final List<Schema> schemas = new ArrayList<>();
    /** The ids registered under each subject, in order of registration (index + 1 is the version). */
    private final Map<String, List<Integer>> idsBySubject = new HashMap<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
        int id = idsBySchema.computeIfAbsent(schema.toString(), s -> {
            schemas.add(schema);
            return schemas.size();
        });
        List<Integer> versions = idsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return id;
    }

    @Override
    public synchronized Schema byId(int id) {
        if (id < 1 || id > schemas.size()) {
            throw new IllegalArgumentException("no schema with id " + id + " in the in-process registry");
        }
        return schemas.get(id - 1);
    }

    @Override
    public synchronized Registered version(String subject, String version) {
        List<Integer> versions = idsBySubject.getOrDefault(subject, List.of());
        int number;
        try {
            number = version.equals("latest") ? versions.size() : Integer.parseInt(version);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("version 'latest' or a number expected, not " + version);
        }
        if (number < 1 || number > versions.size()) {
            throw new RegistryException.NotFound("the in-process registry has no version " + version
                    + " of subject " + subject);
        }
        int id = versions.get(number - 1);
        return new Registered(id, number, byId(id));
    }
}
