package dev.metering.distro;

import picocli.CommandLine.Command;

/** The top command; every subcommand has {@code --help}. */
@Command(name = "metering", mixinStandardHelpOptions = true, version = "metering 0.1.0",
        description = "LLM API edge proxy with a Kafka-fronted, event-sourced metering pipeline.",
        subcommands = {DevCommand.class, EdgeCommand.class, ConsumerCommand.class, MigrateCommand.class,
            KeyCommand.class, ReplayCommand.class})
final class MeteringCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
