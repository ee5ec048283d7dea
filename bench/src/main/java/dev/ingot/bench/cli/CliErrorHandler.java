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
        OutOfMemoryError outOfMemory = outOfMemoryIn(exception);
        if (outOfMemory != null) { // e.g. from a worker thread, wrapped by the executor
            return handleError(commandLine, outOfMemory, BAD_INPUT);
        }
        var err = commandLine.getErr();
        boolean badInput = isBadInput(exception);
        err.println(commandLine.getCommandName() + ": " + oneLine(exception));
        if (Boolean.getBoolean("ingot.debug")) {
            exception.printStackTrace(err);
        }
        err.flush();
        return badInput ? BAD_INPUT : FAILURE;
    }

    /**
     * An Error out of a command: one line naming the command that ran, and for {@link OutOfMemoryError} what to do
     * about it. The trace only with {@code -Dingot.debug=true}.
     */
    static int handleError(CommandLine commandLine, Error error, int exitCode) {
        CommandLine root = commandLine;
        while (root.getParent() != null) {
            root = root.getParent();
        }
        var err = root.getErr();
        String command = ranCommand(root);
        if (error instanceof OutOfMemoryError) {
            err.println(command + ": not enough memory for these inputs (" + oneLine(error) + "); give the JVM more"
                    + " (INGOT_JAVA_OPTS=-Xmx4g) or use smaller inputs");
        } else {
            err.println(command + ": internal error: " + error.getClass().getSimpleName() + ": " + oneLine(error));
        }
        if (Boolean.getBoolean("ingot.debug")) {
            error.printStackTrace(err);
        }
        err.flush();
        return exitCode;
    }

    private static String ranCommand(CommandLine root) {
        ParseResult parsed = root.getParseResult();
        String name = root.getCommandName();
        while (parsed != null && parsed.subcommand() != null) {
            parsed = parsed.subcommand();
            name = parsed.commandSpec().name();
        }
        return name;
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

    private static OutOfMemoryError outOfMemoryIn(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                return oom;
            }
        }
        return null;
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
