package dev.enricher.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.enricher.avro.PendingEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

/**
 * The released PendingEvent schemas (schemas module, {@code src/main/resources/dev/enricher/avro/released/}, listed in
 * {@code PendingEvent.index}) stay readable: the pending store's changelog of every earlier release must restore
 * into the current release.
 *
 * <p>FUTURE RELEASES: a change to {@code PendingEvent.avsc} fails {@link #theCurrentSchemaIsTheLastReleasedOne} until
 * it is copied to {@code released/PendingEvent-v<N+1>.avsc}, listed in the index and its fingerprint pinned in
 * {@link #PINNED_FINGERPRINTS}. Never edit a released file: changelogs written with it may still exist.
 */
class PendingEventReleasesTest {
    static final Path SOURCE_FOLDER = Path.of("..", "schemas", "src", "main", "resources", "dev", "enricher", "avro",
            "released");
    /** Parsing fingerprints of the released files, in index order: a released file never changes. */
    static final List<Long> PINNED_FINGERPRINTS = List.of(0xcad408be67eab6d2L, 0x8174b436362a859eL);

    @Test
    void theIndexListsEveryReleasedFileInOrderAndNothingElse() throws IOException {
        List<String> listed = new ArrayList<>(PendingEventSerde.releasedSchemas().keySet());
        assertEquals(PINNED_FINGERPRINTS.size(), listed.size(), "one pinned fingerprint per listed file: " + listed);
        for (int i = 0; i < listed.size(); i++) {
            assertEquals("PendingEvent-v" + (i + 1) + ".avsc", listed.get(i), "naming rule, oldest first");
        }
        List<String> inFolder;
        try (Stream<Path> files = Files.list(SOURCE_FOLDER)) {
            inFolder = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".avsc")).sorted().toList();
        }
        assertEquals(listed.stream().sorted().toList(), inFolder, "every .avsc of " + SOURCE_FOLDER + " is listed");
    }

    @Test
    void releasedFilesNeverChangeAndTheCurrentSchemaReadsEachOfThem() {
        Map<String, Schema> released = PendingEventSerde.releasedSchemas();
        assertEquals(PINNED_FINGERPRINTS.size(), released.size());
        Schema current = PendingEvent.getClassSchema();
        int i = 0;
        for (Map.Entry<String, Schema> file : released.entrySet()) {
            Schema writer = file.getValue();
            assertEquals(hex(PINNED_FINGERPRINTS.get(i++)), hex(SchemaNormalization.parsingFingerprint64(writer)),
                    file.getKey());
            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
            assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE, result.getType(),
                    "the current PendingEvent cannot read " + file.getKey() + ": " + result.getDescription());
            List<String> skipped = writer.getFields().stream().map(Schema.Field::name)
                    .filter(n -> current.getField(n) == null).toList();
            System.out.println("PendingEvent reads " + file.getKey() + ": writer fields skipped " + skipped);
        }
    }

    @Test
    void theCurrentSchemaIsTheLastReleasedOne() {
        List<Schema> released = new ArrayList<>(PendingEventSerde.releasedSchemas().values());
        assertTrue(!released.isEmpty());
        assertEquals(hex(SchemaNormalization.parsingFingerprint64(released.get(released.size() - 1))),
                hex(SchemaNormalization.parsingFingerprint64(PendingEvent.getClassSchema())),
                "PendingEvent.avsc changed: release it as the next released/PendingEvent-v<N>.avsc (see the index)");
    }

    private static String hex(long fingerprint) {
        return String.format("0x%016x", fingerprint);
    }
}
