package dev.enricher.avro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The released PendingEvent schemas ({@code src/main/resources/dev/enricher/avro/released/}, listed in
 * {@code PendingEvent.index}) stay readable: the pending store's changelog of every earlier release must restore
 * into the current release.
 *
 * <p>FUTURE RELEASES: when a release ships a {@code PendingEvent.avsc} that differs from the last released file,
 * copy it (as released) to {@code released/PendingEvent-v<N+1>.avsc}, list it in {@code PendingEvent.index}, and
 * pin its fingerprint in {@link #PINNED_FINGERPRINTS}. Never edit a released file: changelogs written with it may
 * still exist.
 */
class PendingEventReleasesTest {
    static final String FOLDER = "/dev/enricher/avro/released/";
    static final Path SOURCE_FOLDER = Path.of("src", "main", "resources", "dev", "enricher", "avro", "released");
    /** Parsing fingerprints of the released files, in index order: a released file never changes. */
    static final List<Long> PINNED_FINGERPRINTS = List.of(0xcad408be67eab6d2L);

    static List<String> releasedFiles() throws IOException {
        try (InputStream in = PendingEventReleasesTest.class.getResourceAsStream(FOLDER + "PendingEvent.index")) {
            assertNotNull(in, "PendingEvent.index is on the classpath");
            List<String> files = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String name = line.strip();
                if (!name.isEmpty() && !name.startsWith("#")) {
                    files.add(name);
                }
            }
            return files;
        }
    }

    static Schema released(String file) throws IOException {
        try (InputStream in = PendingEventReleasesTest.class.getResourceAsStream(FOLDER + file)) {
            assertNotNull(in, file + " is on the classpath");
            return new Schema.Parser().parse(in);
        }
    }

    @Test
    void theIndexListsEveryReleasedFileInOrderAndNothingElse() throws IOException {
        List<String> listed = releasedFiles();
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
    void releasedFilesNeverChange() throws IOException {
        List<String> listed = releasedFiles();
        assertEquals(PINNED_FINGERPRINTS.size(), listed.size());
        for (int i = 0; i < listed.size(); i++) {
            Schema schema = released(listed.get(i));
            assertEquals(PendingEvent.getClassSchema().getFullName(), schema.getFullName(), listed.get(i));
            assertEquals(String.format("0x%016x", PINNED_FINGERPRINTS.get(i)),
                    String.format("0x%016x", SchemaNormalization.parsingFingerprint64(schema)), listed.get(i));
        }
    }

    @ParameterizedTest
    @MethodSource("releasedFiles")
    void currentSchemaReadsEveryReleasedOne(String file) throws IOException {
        Schema current = PendingEvent.getClassSchema();
        Schema writer = released(file);
        SchemaCompatibility.SchemaPairCompatibility result =
                SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
        assertEquals(SchemaCompatibilityType.COMPATIBLE, result.getType(),
                "the current PendingEvent cannot read " + file + ": " + result.getDescription());
        List<String> skipped = writer.getFields().stream().map(Schema.Field::name)
                .filter(n -> current.getField(n) == null).toList();
        List<String> defaulted = current.getFields().stream().map(Schema.Field::name)
                .filter(n -> writer.getField(n) == null).toList();
        System.out.println("PendingEvent reads " + file + ": writer fields skipped " + skipped
                + ", reader fields from defaults " + defaulted);
    }
}
