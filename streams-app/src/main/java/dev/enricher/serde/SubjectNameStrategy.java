package dev.enricher.serde;

import java.util.Locale;
import org.apache.avro.Schema;

/**
 * How the subject a value schema is registered or looked up under is named, as Confluent's serdes name it
 * ({@code value.subject.name.strategy}): one subject per topic, per record type, or per topic and record type.
 * Applied to every value the service registers (the output topic's and each route topic's EnrichedEvent).
 */
public enum SubjectNameStrategy {
    /** {@code <topic>-value}: Confluent's TopicNameStrategy, its default. */
    TOPIC,
    /** {@code <record full name>}, e.g. {@code dev.enricher.avro.EnrichedEvent}: RecordNameStrategy. */
    RECORD,
    /** {@code <topic>-<record full name>}: TopicRecordNameStrategy. */
    TOPIC_RECORD;

    /** The value subject of {@code schema} written to {@code topic}; never null. */
    public String valueSubject(String topic, Schema schema) {
        return switch (this) {
            case TOPIC -> topic + "-value";
            case RECORD -> schema.getFullName();
            case TOPIC_RECORD -> topic + "-" + schema.getFullName();
        };
    }

    /** The strategy of a configuration value: topic, record or topic_record (any case). */
    public static SubjectNameStrategy parse(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
}
