package dev.enricher.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build of the service, as every output record states it (service_version): the Maven project
 * version, written into {@code service-version.properties} by resource filtering, so it has one source, the pom.
 */
public final class ServiceVersion {
    private static final String RESOURCE = "service-version.properties";

    private ServiceVersion() {}

    /** The build's version, e.g. {@code 0.1.0-SNAPSHOT}; never null or empty. */
    public static String get() {
        try (InputStream in = ServiceVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath (Maven's resource "
                        + "filtering of streams-app/src/main/resources-filtered writes it)");
            }
            Properties p = new Properties();
            p.load(in);
            String version = p.getProperty("version", "");
            if (version.isEmpty() || version.startsWith("${")) {
                throw new IllegalStateException(RESOURCE + " holds no version ('" + version + "'): build with Maven");
            }
            return version;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
