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
 * shape through JMH, each in a forked JVM, and reports the median of the measured iterations.
 */
final class KernelSuite {
    static final String BACKWARD = "InstanceNormGradBench.backward";
    static final String IN_PLACE = "InstanceNormGradBench.backwardInPlace";
    static final String FORWARD = "InstanceNormBench.forward";
    static final String TRIAD = "StreamBench.triad";

    /** JMH's own output and the forked JVMs' start-up warnings are not for the user: the table is. */
    private static final OutputFormat SILENT = OutputFormatFactory.createFormatInstance(
            new PrintStream(OutputStream.nullOutputStream()), VerboseMode.SILENT);

    private final int warmups;
    private final int iterations;
    private final long iterationMillis;

    KernelSuite(int warmups, int iterations, long iterationMillis) {
        this.warmups = warmups;
        this.iterations = iterations;
        this.iterationMillis = iterationMillis;
    }

    /** Median microseconds per call of each benchmark, keyed by "Class.method", for one shape and thread count. */
    Map<String, Double> run(String shape, int threads) {
        Options options = new OptionsBuilder()
                .include("dev\\.ingot\\.bench\\.(InstanceNormGradBench|InstanceNormBench|StreamBench)\\.")
                .param("shape", shape)
                .param("threads", Integer.toString(threads))
                .forks(1)
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
        Map<String, Double> medians = new HashMap<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            String shortName = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            medians.put(shortName, median(result));
        }
        return medians;
    }

    private static double median(RunResult result) {
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult benchmark : result.getBenchmarkResults()) {
            for (IterationResult iteration : benchmark.getIterationResults()) {
                scores.add(iteration.getPrimaryResult().getScore());
            }
        }
        scores.sort(null);
        int middle = scores.size() / 2;
        return scores.size() % 2 == 1 ? scores.get(middle) : (scores.get(middle - 1) + scores.get(middle)) / 2;
    }
}
