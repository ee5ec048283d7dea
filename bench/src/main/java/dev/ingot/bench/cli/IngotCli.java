package dev.ingot.bench.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ingot} command: lists the subcommands and dispatches to them. */
@Command(
        name = "ingot",
        mixinStandardHelpOptions = true,
        versionProvider = IngotVersion.class,
        description = "Off-heap tensor runtime for the JVM: pooled memory, planned executions, InstanceNorm.",
        subcommands = {DemoCommand.class, InstanceNormCommand.class, BenchCommand.class, JmhCommand.class,
            ServeCommand.class, LatencyCommand.class, CommandLine.HelpCommand.class})
public final class IngotCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line and returns its exit code: 0 success, 2 bad input or usage, 1 internal failure. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(configured(out, err), args);
    }

    /** The command line with its writers and error handling set, ready to run. */
    static CommandLine configured(PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new IngotCli());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler(new CliErrorHandler());
        commandLine.setParameterExceptionHandler(CliErrorHandler::handleParameterException);
        // Everything after "jmh" is JMH's, options included.
        commandLine.getSubcommands().get("jmh").setUnmatchedOptionsArePositionalParams(true);
        return commandLine;
    }

    /**
     * Runs a configured command line; an {@link Error} from a command (picocli passes Errors through) becomes one
     * line on its error writer instead of a stack trace: an {@link OutOfMemoryError} exits with 2 (the inputs are
     * too large for the heap given), any other Error with 1.
     */
    static int execute(CommandLine commandLine, String... args) {
        try {
            return commandLine.execute(args);
        } catch (OutOfMemoryError e) {
            return CliErrorHandler.handleError(commandLine, e, CliErrorHandler.BAD_INPUT);
        } catch (Error e) {
            return CliErrorHandler.handleError(commandLine, e, CliErrorHandler.FAILURE);
        }
    }
}
