package dev.metering.distro;

import picocli.CommandLine;

/** {@code java -jar metering.jar <command>}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command and returns its exit code: 0 ok, 1 failure, 2 bad flags or configuration. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new MeteringCommand());
        cli.setExecutionExceptionHandler(new StartupErrors());
        return cli.execute(args);
    }
}
