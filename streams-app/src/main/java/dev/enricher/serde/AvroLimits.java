package dev.enricher.serde;

import java.lang.reflect.Method;
import java.util.Map;
import org.apache.avro.SystemLimitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Avro's decoder limits, which by default let a 9-byte record ask for a 2 GiB string. The service never decodes an
 * input value larger than the largest record it keeps ({@code output.max.bytes}), so no honest string is longer
 * and no honest map or array has more than half as many items (each takes at least 2 bytes). The bytes limit is
 * left alone: TextEvent has no bytes field (a writer's extra bytes fields are skipped without allocating), and the
 * pending store's own values, written under an earlier, larger limit, must stay readable. Avro reads the limits
 * from system properties when {@link SystemLimitException} initializes; {@link #apply} sets them and makes Avro
 * read them again.
 */
public final class AvroLimits {
    private static final Logger LOG = LoggerFactory.getLogger(AvroLimits.class);
    /** The limits the user set with -D before this class loaded: kept as they are. */
    private static final Map<String, Boolean> SET_BY_USER = Map.of(
            SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
            System.getProperty(SystemLimitException.MAX_STRING_LENGTH_PROPERTY) != null,
            SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY,
            System.getProperty(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY) != null);

    private AvroLimits() {}

    /** Sets the string and collection limits the user did not set from {@code maxBytes}, for the whole JVM. */
    public static synchronized void apply(int maxBytes) {
        set(SystemLimitException.MAX_STRING_LENGTH_PROPERTY, maxBytes);
        set(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY, Math.max(1, maxBytes / 2));
        try {
            Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
            reset.setAccessible(true);
            reset.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot make Avro read its decoder limits again ({}): the values at its first decode hold", e.toString());
        }
    }

    private static void set(String property, int value) {
        if (!SET_BY_USER.get(property)) {
            System.setProperty(property, Integer.toString(value));
        }
    }
}
