package dev.ingot.bench.cli;

import dev.ingot.allocator.AllocatorStats;
import dev.ingot.bench.JitWarmUp;
import dev.ingot.bench.StyleLayer;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.MemoryMode;
import dev.ingot.runtime.MemoryPlan;
import dev.ingot.runtime.express.GradientCheck;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.Trainer;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The training part of {@code ingot demo}: trains an affine InstanceNorm layer (AdaIN-style, see
 * {@link StyleLayer}) with a planned pipeline and prints progress, then a gradient check against finite
 * differences, the time per step, the memory plan (eager vs deferred), the dynamic allocator's statistics and the
 * Java heap allocated per step. {@link #run()} returns the numbers so callers and tests can check them.
 *
 * <p>Single use, one thread; all native memory it takes is freed before {@link #run()} returns.
 */
public final class TrainingDemo {
    /** Default number of steps. */
    public static final int DEFAULT_STEPS = 200;
    /** Default feature shape [N, C, H, W]: 128 Ki elements, a few milliseconds per step. */
    public static final long[] DEFAULT_SHAPE = {4, 32, 32, 32};
    /** Shape of the layer whose gradients are checked against finite differences (each element costs two runs). */
    static final long[] CHECK_SHAPE = {2, 3, 5, 5};
    /** Most steps of the JIT warm-up (it stops once a round of steps allocates nothing). */
    static final int WARM_UP_MAX_STEPS = 8000;
    private static final long SEED = 20240611L;

    private final PrintWriter out;
    private final int steps;
    private final int threads;
    private final long[] shape;

    /**
     * What a run measured.
     *
     * @param steps             steps trained
     * @param firstLoss         the loss of step 1 (before any update)
     * @param lastLoss          the loss of the last step
     * @param stepsPerSecond    training throughput over steps 2 to the last (step 1 pays one-time costs), NaN for
     *                          a single step
     * @param gradientCheck     the finite-difference check of the layer's rules
     * @param deferredPlan      the plan of the training pipeline with deferred dynamic memory (the one trained)
     * @param eagerPlan         the plan of the same pipeline with eager dynamic memory
     * @param dynamicAllocator  statistics of the trained pipeline's dynamic allocator
     * @param heapBytesPerStep  Java heap bytes the training thread allocated per step, steps 2 to the last, after a
     *                          JIT warm-up on a small layer; NaN for a single step
     * @param gammaError        largest |gamma - style std| after training
     * @param betaError         largest |beta - style mean| after training
     */
    public record Result(int steps, float firstLoss, float lastLoss, double stepsPerSecond,
                         GradientCheck.Result gradientCheck, MemoryPlan deferredPlan, MemoryPlan eagerPlan,
                         AllocatorStats dynamicAllocator, double heapBytesPerStep, double gammaError,
                         double betaError) {
        /** firstLoss / lastLoss. */
        public double lossReduction() {
            return firstLoss / lastLoss;
        }
    }

    /**
     * @param out     where to print
     * @param steps   training steps, &gt;= 1
     * @param threads executor threads, &gt;= 1
     * @param shape   feature shape [N, C, spatial...], rank 3 to 5, every dimension &gt;= 1
     * @throws IllegalArgumentException for a bad argument
     */
    public TrainingDemo(PrintWriter out, int steps, int threads, long[] shape) {
        if (out == null) {
            throw new IllegalArgumentException("out: expected a PrintWriter, got null");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps: expected >= 1, got " + steps);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1, got " + threads);
        }
        if (shape == null || shape.length < 3 || shape.length > 5 || Arrays.stream(shape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("shape: expected [N, C, spatial...] of rank 3 to 5 with every"
                    + " dimension >= 1, got " + (shape == null ? "null" : Arrays.toString(shape)));
        }
        this.out = out;
        this.steps = steps;
        this.threads = threads;
        this.shape = shape.clone();
    }

    /** Trains, checks and reports. */
    public Result run() {
        out.printf("Training an affine InstanceNorm layer to give content features %s a style's per-channel"
                + " statistics (AdaIN-style, MSE loss, SGD with momentum), %d steps on %d thread%s%n",
                Arrays.toString(shape), steps, threads, threads == 1 ? "" : "s");
        try (CpuBackend deferred = CpuBackend.builder().threads(threads).memoryMode(MemoryMode.DEFERRED).build();
             CpuBackend eager = CpuBackend.builder().threads(threads).memoryMode(MemoryMode.EAGER).build()) {
            warmUp(deferred);
            Graph graph = new Graph(deferred);
            StyleLayer layer = StyleLayer.create(graph, shape, SEED);
            MemoryPlan eagerPlan;
            try (Trainer planOnly = compile(eager, layer)) {
                eagerPlan = planOnly.plan();
            }
            try (Trainer trainer = compile(deferred, layer)) {
                Training training = train(trainer);
                float[] gamma = trainer.tensor(layer.gamma()).toFloatArray();
                float[] beta = trainer.tensor(layer.beta()).toFloatArray();
                double gammaError = maxDifference(gamma, layer.styleStd());
                double betaError = maxDifference(beta, layer.styleMean());
                out.printf(Locale.ROOT, "  loss fell %.3g times; gamma is within %.2g of the style's std, beta"
                        + " within %.2g of its mean%n", training.first / training.last, gammaError, betaError);
                GradientCheck.Result check = gradientCheck(deferred);
                MemoryPlan plan = trainer.plan();
                AllocatorStats stats = trainer.dynamicAllocatorStats();
                report(training, check, plan, eagerPlan, stats);
                return new Result(steps, training.first, training.last, training.stepsPerSecond, check, plan,
                        eagerPlan, stats, training.heapBytesPerStep, gammaError, betaError);
            }
        } finally {
            out.flush();
        }
    }

    private static Trainer compile(CpuBackend backend, StyleLayer layer) {
        Trainer trainer = Trainer.compile(backend, layer.loss(), List.of(layer.gamma(), layer.beta()),
                layer.optimizer());
        trainer.tensor(layer.content()).copyFrom(layer.contentValues());
        trainer.tensor(layer.target()).copyFrom(layer.targetValues());
        return trainer;
    }

    /** Compiles the training step's code first (see {@link JitWarmUp}) so the heap count is the steady state. */
    private void warmUp(CpuBackend backend) {
        long start = System.nanoTime();
        int done = JitWarmUp.run(backend, shape, SEED, steps, Math.max(steps, WARM_UP_MAX_STEPS));
        out.printf(Locale.ROOT, "  (JIT warm-up: %d steps replaying the same training, %.0f ms)%n", done,
                (System.nanoTime() - start) / 1e6);
    }

    private record Training(float first, float last, double stepsPerSecond, double heapBytesPerStep) {
    }

    private Training train(Trainer trainer) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int every = Math.max(1, steps / 10);
        long heap = 0;
        long stepNanos = 0;
        long intervalStart = System.nanoTime();
        int intervalSteps = 0;
        trainer.step(); // step 1: first loss, and one-time set-up the heap count leaves out
        float first = trainer.loss();
        progress(1, first, 1, System.nanoTime() - intervalStart);
        intervalStart = System.nanoTime();
        for (int step = 2; step <= steps; step++) {
            long before = bean.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            trainer.step();
            stepNanos += System.nanoTime() - t0;
            heap += bean.getCurrentThreadAllocatedBytes() - before;
            intervalSteps++;
            if (step % every == 0 || step == steps) {
                long now = System.nanoTime();
                progress(step, trainer.loss(), intervalSteps, now - intervalStart);
                intervalStart = now;
                intervalSteps = 0;
            }
        }
        if (steps == 1) {
            return new Training(first, first, Double.NaN, Double.NaN);
        }
        return new Training(first, trainer.loss(), (steps - 1) / (stepNanos / 1e9), (double) heap / (steps - 1));
    }

    private void progress(int step, float loss, int intervalSteps, long nanos) {
        out.printf(Locale.ROOT, "  step %4d  loss %.4e  %8.1f steps/s%n", step, loss,
                intervalSteps / Math.max(nanos / 1e9, 1e-9));
        out.flush();
    }

    private GradientCheck.Result gradientCheck(CpuBackend backend) {
        Graph graph = new Graph(backend);
        StyleLayer small = StyleLayer.create(graph, CHECK_SHAPE, SEED + 1);
        // check at a point away from the optimum, where the gradients are not all near zero
        return GradientCheck.check(backend, small.loss(), List.of(small.gamma(), small.beta()),
                Map.of(small.content(), small.contentValues(), small.target(), small.targetValues()), SEED);
    }

    private void report(Training training, GradientCheck.Result check, MemoryPlan plan, MemoryPlan eagerPlan,
                        AllocatorStats stats) {
        out.printf(Locale.ROOT, "Gradient check (rules %s vs central finite differences in float64, layer %s):"
                        + " max relative error %.2e, tolerance %.0e: %s%n", new TreeSet<>(check.rulesChecked()),
                Arrays.toString(CHECK_SHAPE), check.maxRelativeError(), check.tolerance(),
                check.passed() ? "passed" : "FAILED");
        out.printf(Locale.ROOT, "Time per step: %.3f ms (%.1f steps/s, steps 2-%d)%n", 1000 / training.stepsPerSecond,
                training.stepsPerSecond, steps);
        out.printf("Memory plan of one step (%d ops, %d DYNAMIC tensors; inputs, parameters and momentum are"
                + " STATIC: %s):%n", plan.ops(), plan.dynamicTensors(), Bytes.format(plan.staticBytes()));
        if (plan.overwritingOps() > 0) {
            out.printf("  in place: %d gradient op(s) wrote dx over a dy that died there: %s not acquired%n",
                    plan.overwritingOps(), Bytes.format(plan.overwrittenBytes()));
        }
        printPlan("deferred", plan);
        printPlan("eager", eagerPlan);
        out.printf(Locale.ROOT, "Dynamic allocator (deferred): %d allocations, reuse rate %.0f%%, peak in use %s,"
                        + " reserved %s%n", stats.allocations(), 100 * stats.reuseRate(),
                Bytes.format(stats.peakInUse()), Bytes.format(stats.reserved()));
        out.printf(Locale.ROOT, "Java heap allocated per step: %.1f bytes (training thread, steps 2-%d)%n",
                training.heapBytesPerStep, steps);
    }

    private void printPlan(String name, MemoryPlan plan) {
        // the naive sum gives every op output its own memory, the outputs written over their inputs included
        long naive = plan.totalDynamicBytes() + plan.overwrittenBytes();
        out.printf(Locale.ROOT, "  %-8s planned peak %s vs naive sum %s (%.0f%%), lower bound %s%n", name,
                Bytes.format(plan.peakDynamicBytes()), Bytes.format(naive),
                naive == 0 ? 0.0 : 100.0 * plan.peakDynamicBytes() / naive, Bytes.format(plan.lowerBoundBytes()));
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
