package dev.enricher.avro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The published schemas follow the rules of {@code docs/schema.md}. Within a shape version (the schema's
 * {@code version} property, 1 when absent) each current schema reads data written with the previous released
 * schema (kept in {@code src/test/resources/previous/}) and the previous schema reads current data; fields added
 * since have defaults. A new shape version breaks both ways, and {@code docs/schema.md} then has the migration note
 * for it. When a release changes a schema, copy the released file into {@code previous/}.
 */
class SchemaEvolutionTest {

    static List<Schema> currentSchemas() {
        return List.of(TextEvent.getClassSchema(), EnrichedEvent.getClassSchema());
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void withinAShapeVersionTheSchemaIsCompatibleBothWaysWithThePreviousRelease(Schema current) throws IOException {
        Schema previous = previous(current.getName());
        if (version(current) != version(previous)) {
            assertEquals(version(previous) + 1, version(current), current.getName() + ": versions go up one at a time");
            return;
        }
        SchemaCompatibility.SchemaPairCompatibility backward =
                SchemaCompatibility.checkReaderWriterCompatibility(current, previous);
        SchemaCompatibility.SchemaPairCompatibility forward =
                SchemaCompatibility.checkReaderWriterCompatibility(previous, current);
        assertEquals(SchemaCompatibilityType.COMPATIBLE, backward.getType(), "new reads old: " + backward.getDescription());
        assertEquals(SchemaCompatibilityType.COMPATIBLE, forward.getType(), "old reads new: " + forward.getDescription());
        for (Schema.Field field : current.getFields()) {
            if (previous.getField(field.name()) == null) {
                assertTrue(field.hasDefaultValue(), current.getName() + "." + field.name() + " is new and needs a default");
            }
        }
        System.out.println(current.getName() + ": compatible both ways with the previous release ("
                + current.getFields().size() + " fields)");
    }

    /**
     * EnrichedEvent 2 replaces fields of 1 (classification, entities, models): neither reads the other's records,
     * so docs/schema.md states how to move (a new subject: a new output topic).
     */
    @Test
    void enrichedEventTwoBreaksVersionOneAndTheMigrationIsWrittenDown() throws IOException {
        Schema v1 = previous("EnrichedEvent");
        Schema v2 = EnrichedEvent.getClassSchema();
        assertEquals(1, version(v1));
        assertEquals(2, version(v2));
        var oldReadsNew = SchemaCompatibility.checkReaderWriterCompatibility(v1, v2);
        var newReadsOld = SchemaCompatibility.checkReaderWriterCompatibility(v2, v1);
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, oldReadsNew.getType());
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, newReadsOld.getType());
        List<String> oldReaderFails = oldReadsNew.getResult().getIncompatibilities().stream()
                .map(i -> i.getType() + " at " + i.getLocation()).toList();
        System.out.println("a version 1 reader of version 2 records fails on: " + oldReaderFails);
        assertTrue(oldReaderFails.contains("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/11"),
                "models, required in version 1, is gone: " + oldReaderFails);
        assertTrue(oldReaderFails.contains("MISSING_UNION_BRANCH at /fields/10/type"),
                "entities changed from a record to an array: " + oldReaderFails);
        String doc = Files.readString(repository().resolve("docs/schema.md"), StandardCharsets.UTF_8);
        assertTrue(doc.contains("## Migrating from version 1 to 2"), "docs/schema.md has the migration note");
    }

    @Test
    void everyFieldAndRecordIsDocumented() {
        List<String> missing = new ArrayList<>();
        for (Schema record : records(EnrichedEvent.getClassSchema())) {
            if (record.getDoc() == null || record.getDoc().isBlank()) {
                missing.add(record.getName());
            }
            for (Schema.Field f : record.getFields()) {
                if (f.doc() == null || f.doc().isBlank()) {
                    missing.add(record.getName() + "." + f.name());
                }
            }
        }
        assertEquals(List.of(), missing, "records and fields without doc");
    }

    /**
     * No name needs quoting in SQL engines (ksqlDB, Flink, Spark, Trino, data lakes): none is a reserved word, and no
     * nested field repeats its parent's name (no entities.entities).
     */
    @Test
    void namesAreNotSqlReservedWordsAndNeverRepeatTheirParent() {
        List<String> bad = new ArrayList<>();
        int fields = 0;
        for (Schema record : records(EnrichedEvent.getClassSchema())) {
            for (Schema.Field f : record.getFields()) {
                fields++;
                if (RESERVED.contains(f.name().toUpperCase(Locale.ROOT))) {
                    bad.add(record.getName() + "." + f.name() + " is reserved");
                }
                for (Schema inner : records(f.schema())) {
                    if (inner.getField(f.name()) != null) {
                        bad.add(record.getName() + "." + f.name() + "." + f.name());
                    }
                }
            }
        }
        assertEquals(List.of(), bad);
        assertTrue(fields > 30, "all nested records walked: " + fields);
    }

    @Test
    void entityNamesFollowTransformersWhereTheyAreNotReserved() {
        Schema entity = EnrichedEvent.getClassSchema().getField("entities").schema().getElementType();
        assertEquals(List.of("entity_group", "word", "start_offset", "end_offset", "score"),
                entity.getFields().stream().map(Schema.Field::name).toList());
        assertTrue(RESERVED.contains("START") && RESERVED.contains("END"), "why start and end are not used");
        assertFalse(RESERVED.contains("WORD") || RESERVED.contains("SCORE") || RESERVED.contains("LABEL"));
    }

    private static int version(Schema s) {
        Object v = s.getObjectProp("version");
        return v == null ? 1 : ((Number) v).intValue();
    }

    /** Every record reachable from {@code schema}, itself included, each once. */
    private static List<Schema> records(Schema schema) {
        List<Schema> out = new ArrayList<>();
        collect(schema, out, new HashSet<>());
        return out;
    }

    private static void collect(Schema s, List<Schema> out, Set<String> seen) {
        switch (s.getType()) {
            case RECORD -> {
                if (seen.add(s.getFullName())) {
                    out.add(s);
                    s.getFields().forEach(f -> collect(f.schema(), out, seen));
                }
            }
            case ARRAY -> collect(s.getElementType(), out, seen);
            case MAP -> collect(s.getValueType(), out, seen);
            case UNION -> s.getTypes().forEach(t -> collect(t, out, seen));
            default -> { }
        }
    }

    private static Schema previous(String name) throws IOException {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/previous/" + name + ".avsc")) {
            return new Schema.Parser().parse(in);
        }
    }

    /** The repository root: the tests run in {@code schemas/}. */
    private static Path repository() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("docs")) ? here : here.getParent();
    }

    /**
     * Reserved words of SQL:2016 (ISO/IEC 9075-2, as PostgreSQL's appendix C lists them) and the extra ones of Spark
     * SQL's ANSI mode, Flink SQL (Apache Calcite) and ksqlDB that could be field names.
     */
    static final Set<String> RESERVED = Set.copyOf(List.of(("ABS ACOS ALL ALLOCATE ALTER AND ANY ARE ARRAY ARRAY_AGG "
            + "ARRAY_MAX_CARDINALITY AS ASENSITIVE ASIN ASYMMETRIC AT ATAN ATOMIC AUTHORIZATION AVG BEGIN BEGIN_FRAME "
            + "BEGIN_PARTITION BETWEEN BIGINT BINARY BLOB BOOLEAN BOTH BY CALL CALLED CARDINALITY CASCADED CASE CAST "
            + "CEIL CEILING CHAR CHAR_LENGTH CHARACTER CHARACTER_LENGTH CHECK CLASSIFIER CLOB CLOSE COALESCE COLLATE "
            + "COLLECT COLUMN COMMIT CONDITION CONNECT CONSTRAINT CONTAINS CONVERT COPY CORR CORRESPONDING COS COSH "
            + "COUNT COVAR_POP COVAR_SAMP CREATE CROSS CUBE CUME_DIST CURRENT CURRENT_CATALOG CURRENT_DATE "
            + "CURRENT_DEFAULT_TRANSFORM_GROUP CURRENT_PATH CURRENT_ROLE CURRENT_ROW CURRENT_SCHEMA CURRENT_TIME "
            + "CURRENT_TIMESTAMP CURRENT_TRANSFORM_GROUP_FOR_TYPE CURRENT_USER CURSOR CYCLE DATE DAY DEALLOCATE DEC "
            + "DECFLOAT DECIMAL DECLARE DEFAULT DEFINE DELETE DENSE_RANK DEREF DESCRIBE DETERMINISTIC DISCONNECT "
            + "DISTINCT DOUBLE DROP DYNAMIC EACH ELEMENT ELSE EMPTY END END_FRAME END_PARTITION END-EXEC EQUALS "
            + "ESCAPE EVERY EXCEPT EXEC EXECUTE EXISTS EXP EXTERNAL EXTRACT FALSE FETCH FILTER FIRST_VALUE FLOAT "
            + "FLOOR FOR FOREIGN FRAME_ROW FREE FROM FULL FUNCTION FUSION GET GLOBAL GRANT GROUP GROUPING GROUPS "
            + "HAVING HOLD HOUR IDENTITY IN INDICATOR INITIAL INNER INOUT INSENSITIVE INSERT INT INTEGER INTERSECT "
            + "INTERSECTION INTERVAL INTO IS JOIN JSON_ARRAY JSON_ARRAYAGG JSON_EXISTS JSON_OBJECT JSON_OBJECTAGG "
            + "JSON_QUERY JSON_TABLE JSON_TABLE_PRIMITIVE JSON_VALUE LAG LANGUAGE LARGE LAST_VALUE LATERAL LEAD "
            + "LEADING LEFT LIKE LIKE_REGEX LISTAGG LN LOCAL LOCALTIME LOCALTIMESTAMP LOG LOG10 LOWER MATCH "
            + "MATCH_NUMBER MATCH_RECOGNIZE MATCHES MAX MEASURES MEMBER MERGE METHOD MIN MINUTE MOD MODIFIES MODULE "
            + "MONTH MULTISET NATIONAL NATURAL NCHAR NCLOB NEW NO NONE NORMALIZE NOT NTH_VALUE NTILE NULL NULLIF "
            + "NUMERIC OCCURRENCES_REGEX OCTET_LENGTH OF OFFSET OLD OMIT ON ONE ONLY OPEN OR ORDER OUT OUTER OVER "
            + "OVERLAPS OVERLAY PARAMETER PARTITION PATTERN PER PERCENT PERCENT_RANK PERCENTILE_CONT "
            + "PERCENTILE_DISC PERIOD PORTION POSITION POSITION_REGEX POWER PRECEDES PRECISION PREPARE PRIMARY "
            + "PROCEDURE PTF RANGE RANK READS REAL RECURSIVE REF REFERENCES REFERENCING REGR_AVGX REGR_AVGY "
            + "REGR_COUNT REGR_INTERCEPT REGR_R2 REGR_SLOPE REGR_SXX REGR_SXY REGR_SYY RELEASE RESULT RETURN RETURNS "
            + "REVOKE RIGHT ROLLBACK ROLLUP ROW ROW_NUMBER ROWS RUNNING SAVEPOINT SCOPE SCROLL SEARCH SECOND SEEK "
            + "SELECT SENSITIVE SESSION_USER SET SHOW SIMILAR SIN SINH SKIP SMALLINT SOME SPECIFIC SPECIFICTYPE SQL "
            + "SQLEXCEPTION SQLSTATE SQLWARNING SQRT START STATIC STDDEV_POP STDDEV_SAMP SUBMULTISET SUBSET "
            + "SUBSTRING SUBSTRING_REGEX SUCCEEDS SUM SYMMETRIC SYSTEM SYSTEM_TIME SYSTEM_USER TABLE TABLESAMPLE TAN "
            + "TANH THEN TIME TIMESTAMP TIMEZONE_HOUR TIMEZONE_MINUTE TO TRAILING TRANSLATE TRANSLATE_REGEX "
            + "TRANSLATION TREAT TRIGGER TRIM TRIM_ARRAY TRUE TRUNCATE UESCAPE UNION UNIQUE UNKNOWN UNNEST UPDATE "
            + "UPPER USER USING VALUE VALUES VALUE_OF VAR_POP VAR_SAMP VARBINARY VARCHAR VARYING VERSIONING WHEN "
            + "WHENEVER WHERE WIDTH_BUCKET WINDOW WITH WITHIN WITHOUT YEAR "
            // Spark ANSI, Flink (Calcite) and ksqlDB additions
            + "ANTI CONSTRAINTS DATABASE EMIT EXPLAIN KEY LIMIT MINUS PARTITIONS QUALIFY REPLACE SEMI "
            + "STREAM TOPIC").split(" ")));
}
