package dev.enricher.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

/** The version every record states is the build's: the Maven project version, which surefire passes here. */
class ServiceVersionTest {

    @Test
    void theServiceVersionIsTheProjectVersion() {
        String build = System.getProperty("enricher.build.version");
        assertNotNull(build, "set by streams-app/pom.xml from ${project.version}");
        assertEquals(build, ServiceVersion.get());
    }
}
