package dev.ingot.bench.cli;

import java.io.PrintWriter;
import java.text.MessageFormat;
import java.util.ResourceBundle;

/**
 * A {@link System.Logger} that prints the first line of each message into the demo's output, so the demo shows
 * what an allocator logs without repeating the whole report on stderr.
 */
final class FirstLineLogger implements System.Logger {
    private final PrintWriter out;

    FirstLineLogger(PrintWriter out) {
        this.out = out;
    }

    @Override
    public String getName() {
        return "demo";
    }

    @Override
    public boolean isLoggable(Level level) {
        return level.getSeverity() >= Level.INFO.getSeverity();
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
        print(level, message);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        print(level, params == null || params.length == 0 ? format : MessageFormat.format(format, params));
    }

    private void print(Level level, String message) {
        if (isLoggable(level) && message != null) {
            out.println("  logged at " + level + ": " + message.lines().findFirst().orElse(""));
        }
    }
}
