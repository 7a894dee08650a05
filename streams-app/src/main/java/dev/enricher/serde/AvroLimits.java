package dev.enricher.serde;

import java.lang.reflect.Method;
import java.util.List;
import org.apache.avro.SystemLimitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Avro's decoder limits (string and bytes lengths, collection items), which by default let a 9-byte record ask
 * for a 2 GiB string. The service never decodes a value larger than the largest record it keeps ({@code
 * output.max.bytes}), so no honest length prefix exceeds it. Avro reads the limits from system properties when
 * {@link SystemLimitException} initializes; {@link #apply} sets them and makes Avro read them again.
 */
public final class AvroLimits {
    private static final Logger LOG = LoggerFactory.getLogger(AvroLimits.class);
    private static final List<String> PROPERTIES = List.of(SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
            SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY);
    /** The limits the user set with -D before this class loaded: kept as they are. */
    private static final List<String> SET_BY_USER = PROPERTIES.stream().filter(p -> System.getProperty(p) != null).toList();

    private AvroLimits() {}

    /** Sets every decoder limit the user did not set to {@code maxBytes}, for the whole JVM. */
    public static synchronized void apply(int maxBytes) {
        for (String property : PROPERTIES) {
            if (!SET_BY_USER.contains(property)) {
                System.setProperty(property, Integer.toString(maxBytes));
            }
        }
        try {
            Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
            reset.setAccessible(true);
            reset.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot make Avro read its decoder limits again ({}): the values at its first decode hold", e.toString());
        }
    }
}
