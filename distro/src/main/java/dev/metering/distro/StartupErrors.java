package dev.metering.distro;

import dev.metering.model.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Maps a failure to start to a message and an exit code: a bad environment value exits 2 and
 * names the variable and what was expected; anything else exits 1 with its message.
 */
final class StartupErrors implements IExecutionExceptionHandler {
    static final int BAD_CONFIGURATION = 2;

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        ConfigException config = find(e);
        if (config != null) {
            cmd.getErr().println("metering " + cmd.getCommandName() + ": " + config.getMessage());
            return BAD_CONFIGURATION;
        }
        cmd.getErr().println("metering " + cmd.getCommandName() + ": " + describe(e));
        return 1;
    }

    private static ConfigException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConfigException ce) {
                return ce;
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(String.valueOf(t.getMessage()));
        for (Throwable c = t.getCause(); c != null && c != t; c = c.getCause()) {
            sb.append(" (caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(')');
        }
        return sb.toString();
    }
}
