package dev.ingot.bench.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the kernel benchmarks (InstanceNormGrad backward and in place, InstanceNorm forward, STREAM triad) for one
 * shape through JMH, each in its own forked JVMs, and returns every measured iteration of every fork. Not
 * thread-safe: JMH runs one suite per process at a time.
 */
final class KernelSuite {
    static final String BACKWARD = "InstanceNormGradBench.backward";
    static final String IN_PLACE = "InstanceNormGradBench.backwardInPlace";
    static final String FORWARD = "InstanceNormBench.forward";
    static final String TRIAD = "StreamBench.triad";

    /** JMH's own output and the forked JVMs' start-up warnings are not for the user: the table is. */
    private static final OutputFormat SILENT = OutputFormatFactory.createFormatInstance(
            new PrintStream(OutputStream.nullOutputStream()), VerboseMode.SILENT);

    /** The benchmarks the suite runs per shape and thread count. */
    static final int BENCHMARKS = 4;

    private final int forks;
    private final int warmups;
    private final int iterations;
    private final long iterationMillis;

    KernelSuite(int forks, int warmups, int iterations, long iterationMillis) {
        this.forks = forks;
        this.warmups = warmups;
        this.iterations = iterations;
        this.iterationMillis = iterationMillis;
    }

    /** Microseconds per call of each benchmark, one sample per measured iteration, keyed by "Class.method". */
    Map<String, Samples> run(String shape, int threads) {
        Options options = new OptionsBuilder()
                .include("dev\\.ingot\\.bench\\.(InstanceNormGradBench|InstanceNormBench|StreamBench)\\.")
                .param("shape", shape)
                .param("threads", Integer.toString(threads))
                .forks(forks)
                .warmupIterations(warmups)
                .warmupTime(TimeValue.milliseconds(iterationMillis))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.milliseconds(iterationMillis))
                .timeUnit(TimeUnit.MICROSECONDS)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .jvmArgsAppend("--sun-misc-unsafe-memory-access=allow")
                .build();
        Collection<RunResult> results;
        try {
            results = new Runner(options, SILENT).run();
        } catch (RunnerException e) {
            throw new IllegalStateException("benchmark run failed for shape " + shape + ": " + e.getMessage(), e);
        }
        Map<String, Samples> samples = new HashMap<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            String shortName = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            samples.put(shortName, iterations(result));
        }
        return samples;
    }

    /** Every measured iteration of every fork (one BenchmarkResult per fork). */
    private static Samples iterations(RunResult result) {
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult fork : result.getBenchmarkResults()) {
            for (IterationResult iteration : fork.getIterationResults()) {
                scores.add(iteration.getPrimaryResult().getScore());
            }
        }
        return Samples.of(scores.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
