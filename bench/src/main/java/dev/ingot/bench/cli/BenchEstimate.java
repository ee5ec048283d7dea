package dev.ingot.bench.cli;

import java.util.Locale;

/**
 * How long an {@code ingot bench} run takes, told before it starts: JVM start and set-up per JMH fork, the warm-up
 * and measured iterations, and PyTorch's timing per shape. Immutable.
 *
 * @param runs            shape and thread-count pairs
 * @param forks           JMH forks per benchmark
 * @param iterations      warm-up plus measured iterations per fork
 * @param iterationMillis length of one iteration
 * @param torchSeconds    PyTorch's timing per pass and run, 0 without PyTorch
 */
record BenchEstimate(int runs, int forks, int iterations, long iterationMillis, double torchSeconds) {
    /** A forked JVM's start, JMH's set-up and the benchmark's own (inputs, JIT warm-up), measured on 2 cores. */
    static final double FORK_OVERHEAD_SECONDS = 2.0;
    /** Starting Python and importing torch, and its warm-up calls. */
    static final double TORCH_OVERHEAD_SECONDS = 3.0;

    double seconds() {
        double jmh = KernelSuite.BENCHMARKS * forks * (FORK_OVERHEAD_SECONDS + iterations * iterationMillis / 1000.0);
        double torch = torchSeconds > 0 ? TORCH_OVERHEAD_SECONDS + 2 * torchSeconds : 0;
        return runs * (jmh + torch);
    }

    /** "about 4 min" or "about 40 s". */
    String text() {
        double seconds = seconds();
        return seconds < 90 ? String.format(Locale.ROOT, "about %.0f s", seconds)
                : String.format(Locale.ROOT, "about %.0f min", seconds / 60);
    }
}
