package dev.enricher.app;

import dev.enricher.config.EnricherConfig;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code config}: every configuration key with its type, default, valid values, environment variable and doc,
 * generated from {@link EnricherConfig#configDef()}, so it lists exactly what {@code run} accepts.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Prints every configuration key of run: type, default, valid values, environment variable and "
                + "documentation.")
final class ConfigCommand implements Callable<Integer> {

    enum Format { TEXT, PROPERTIES }

    @Option(names = "--format", defaultValue = "text", description = "text (default), or properties: a commented "
            + "properties file with every key at its default, commented out.")
    Format format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String comment = format == Format.PROPERTIES ? "# " : "";
        out.println(comment + "Keys of run --config FILE; each also settable as the environment variable shown. Keys "
                + "starting with " + EnricherConfig.KAFKA_PREFIX);
        out.println(comment + "pass to Kafka Streams without the prefix (e.g. kafka.commit.interval.ms, "
                + "ENRICHER_KAFKA_COMMIT_INTERVAL_MS).");
        for (ConfigDef.ConfigKey key : EnricherConfig.configDef().configKeys().values()) {
            out.println();
            String type = key.type.name().toLowerCase(Locale.ROOT);
            String valid = key.validator == null ? "" : "; valid: " + key.validator;
            if (format == Format.PROPERTIES) {
                out.println("# " + key.documentation);
                out.println("# type: " + type + valid + "; env: " + EnricherConfig.envName(key.name));
                out.println("#" + key.name + "=" + (key.defaultValue == null ? ""
                        : ConfigDef.convertToString(key.defaultValue, key.type)));
            } else {
                out.println(key.name);
                out.println("    " + key.documentation);
                out.println("    type: " + type + "; default: " + shownDefault(key) + valid + "; importance: "
                        + key.importance.name().toLowerCase(Locale.ROOT) + "; env: " + EnricherConfig.envName(key.name));
            }
        }
        out.flush();
        return 0;
    }

    /** The default as a properties file would spell it; (none) for no value, (empty) for an empty one. */
    static String shownDefault(ConfigDef.ConfigKey key) {
        if (!key.hasDefault() || key.defaultValue == null) {
            return "(none)";
        }
        String value = ConfigDef.convertToString(key.defaultValue, key.type);
        return value.isEmpty() ? "(empty)" : value;
    }
}
