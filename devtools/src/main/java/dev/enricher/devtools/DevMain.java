package dev.enricher.devtools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code enricher-dev.jar}, the developer tooling around the service: the demo, the benchmark and
 * a local broker, each with an in-process Kafka broker. Not part of the service's jar or image; the service's
 * own commands (predict, run) are in {@code enricher.jar}.
 */
@Command(name = "enricher-dev", mixinStandardHelpOptions = true, version = "enricher-dev 0.1.0",
        description = "Developer tooling of the enricher: demo, bench and a local broker, in one process.",
        subcommands = {DemoCommand.class, BenchCommand.class, BrokerCommand.class})
public final class DevMain {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with every sub-command; errors in arguments print usage and give exit code 2. */
    public static CommandLine commandLine() {
        return new CommandLine(new DevMain()).setCaseInsensitiveEnumValuesAllowed(true);
    }
}
