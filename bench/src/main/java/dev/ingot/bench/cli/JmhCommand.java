package dev.ingot.bench.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ingot jmh ARGS}: JMH's own command line over the benchmarks of this jar, so that they run with the JDK and
 * the JVM flags {@code ./ingot} found (JMH gives its forks the flags of this JVM). Not thread-safe: one run per
 * process.
 */
@Command(name = "jmh",
        description = {
            "Runs the JMH benchmarks of this jar with JMH's own options, e.g. ./ingot jmh -l (list),"
                    + " ./ingot jmh -h (JMH's help), ./ingot jmh AllocatorBench -prof gc.",
            "The benchmarks run with the JDK and the JVM flags ./ingot uses (Vector API, native access)."
        })
final class JmhCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "ARGS", description = "JMH options and benchmark patterns.")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        try {
            org.openjdk.jmh.Main.main(args.toArray(String[]::new));
        } catch (IOException e) {
            throw new UncheckedIOException("jmh: " + e.getMessage(), e);
        }
        return 0;
    }
}
