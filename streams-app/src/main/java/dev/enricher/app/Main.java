package dev.enricher.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code enricher.jar}, the service: one sub-command per task. The developer tooling (demo, bench,
 * a local broker) is {@code enricher-dev.jar}, built by {@code devtools/}.
 */
@Command(name = "enricher", mixinStandardHelpOptions = true, version = "enricher 0.1.0",
        description = "Enriches text events from Kafka with BERT classifiers and NER taggers on ONNX Runtime.",
        subcommands = {PredictCommand.class, RunCommand.class, ConfigCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with every sub-command; errors in arguments print usage and give exit code 2. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
