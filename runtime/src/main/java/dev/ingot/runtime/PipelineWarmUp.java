package dev.ingot.runtime;

import dev.ingot.runtime.parallel.RunAdmission;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * Runs a pipeline until the JIT has compiled the code its plan uses. Interpreted and C1-compiled code reaches
 * memory segments through paths that allocate and run many times slower; once C2 has compiled a run, it allocates
 * nothing. So the warm-up runs rounds (at least 5 ms each) until five rounds in a row allocate nothing on the
 * calling thread and see no JIT compilation finish anywhere in the JVM (the JIT's total compilation time stands
 * still): the plan's code is compiled and nothing is left in the compile queue. Allocation is only visible on the
 * calling thread, while a parallel run executes kernel ranges on the executor's threads too: so every other round
 * is admitted on one thread, where all of the kernels' code runs on the caller and is measured, and the rounds
 * between run on all threads, so the executor's path gets compiled as well.
 */
final class PipelineWarmUp {
    private static final int RUNS_PER_ROUND = 20;
    /** A round lasts at least this long, so that a compilation finishing during it shows in the JIT's clock. */
    private static final long MIN_ROUND_NANOS = 5_000_000;
    /** Rounds in a row that must be steady (no allocation, no compilation) before the warm-up ends. */
    private static final int CLEAN_ROUNDS = 5;

    private PipelineWarmUp() {
    }

    static WarmUpReport run(Pipeline pipeline, long budgetNanos) {
        fillInputs(pipeline);
        com.sun.management.ThreadMXBean bean = allocationBean();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitClock = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        int runs = 0;
        int clean = 0;
        RunAdmission admission = pipeline.backendExecutor().admission();
        while (true) {
            long compiledBefore = jitClock ? jit.getTotalCompilationTime() : 0;
            long roundStart = System.nanoTime();
            boolean allocated = false;
            do {
                admission.enter(1); // the runs inside get this one thread: the caller runs every range
                try {
                    long before = bean == null ? 0 : bean.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < RUNS_PER_ROUND; i++) {
                        pipeline.run();
                    }
                    allocated |= bean == null || bean.getCurrentThreadAllocatedBytes() != before;
                } finally {
                    admission.exit();
                }
                for (int i = 0; i < RUNS_PER_ROUND; i++) {
                    pipeline.run();
                }
                runs += 2 * RUNS_PER_ROUND;
            } while (System.nanoTime() - roundStart < MIN_ROUND_NANOS);
            boolean compiled = jitClock && jit.getTotalCompilationTime() != compiledBefore;
            clean = allocated || compiled ? 0 : clean + 1;
            long elapsed = System.nanoTime() - start;
            if (clean >= CLEAN_ROUNDS || elapsed >= budgetNanos) {
                return new WarmUpReport(runs, elapsed, clean >= CLEAN_ROUNDS);
            }
        }
    }

    /**
     * Fills float inputs with pseudo-random normal values (fixed seed): kernels pick paths by the data (a constant
     * plane takes a short cut), so zeros would compile the wrong ones.
     */
    private static void fillInputs(Pipeline pipeline) {
        SplittableRandom random = new SplittableRandom(0x1A2B3C4DL);
        for (Tensor input : pipeline.inputs()) {
            MemorySegment segment = input.segment();
            if (input.dtype() == DType.FLOAT32) {
                long n = segment.byteSize() / Float.BYTES;
                for (long i = 0; i < n; i++) {
                    segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
                }
            } else if (input.dtype() == DType.FLOAT64) {
                long n = segment.byteSize() / Double.BYTES;
                for (long i = 0; i < n; i++) {
                    segment.setAtIndex(ValueLayout.JAVA_DOUBLE, i, random.nextGaussian());
                }
            }
        }
    }

    private static com.sun.management.ThreadMXBean allocationBean() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled()) {
            return bean;
        }
        return null;
    }
}
