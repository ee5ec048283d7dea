package dev.ingot.bench.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns exceptions from a subcommand into one line on stderr and an exit code, never a stack trace:
 * bad input (arguments, files) exits with 2, anything else with 1. {@code -Dingot.debug=true} prints the trace.
 */
final class CliErrorHandler implements IExecutionExceptionHandler {
    static final int BAD_INPUT = 2;
    static final int FAILURE = 1;

    @Override
    public int handleExecutionException(Exception exception, CommandLine commandLine, ParseResult parseResult) {
        var err = commandLine.getErr();
        boolean badInput = isBadInput(exception);
        err.println(commandLine.getCommandName() + ": " + oneLine(exception));
        if (Boolean.getBoolean("ingot.debug")) {
            exception.printStackTrace(err);
        }
        err.flush();
        return badInput ? BAD_INPUT : FAILURE;
    }

    /** A usage mistake: what is wrong and where help is, in two lines, instead of the whole usage text. */
    static int handleParameterException(CommandLine.ParameterException exception, String[] args) {
        CommandLine commandLine = exception.getCommandLine();
        var err = commandLine.getErr();
        String command = commandLine.getCommandSpec().qualifiedName();
        err.println(command + ": " + oneLine(exception));
        err.println("Try '" + command + " --help'.");
        err.flush();
        return BAD_INPUT;
    }

    private static boolean isBadInput(Throwable exception) {
        return exception instanceof IllegalArgumentException
                || exception instanceof IOException
                || exception instanceof UncheckedIOException
                || exception instanceof CommandLine.ParameterException;
    }

    private static String oneLine(Throwable exception) {
        String message = exception.getMessage();
        if (message == null || message.isBlank()) {
            message = exception.getClass().getSimpleName();
        }
        return message.lines().findFirst().orElse(message).strip();
    }
}
