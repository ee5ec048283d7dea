package dev.ingot.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * Runs a pipeline until the JIT has compiled the code its plan uses. Interpreted and C1-compiled code reaches
 * memory segments through paths that allocate and run many times slower; once C2 has compiled a run, it allocates
 * nothing. So a round of runs that allocates nothing on the calling thread, three rounds in a row, marks the
 * steady state (one clean round can come just before a late compilation).
 */
final class PipelineWarmUp {
    private static final int RUNS_PER_ROUND = 20;
    private static final int CLEAN_ROUNDS = 3;
    /** Below this, a round is a few microseconds: run at least this many so every loop gets hot. */
    private static final int MIN_RUNS = 200;

    private PipelineWarmUp() {
    }

    static WarmUpReport run(Pipeline pipeline, long budgetNanos) {
        fillInputs(pipeline);
        com.sun.management.ThreadMXBean bean = allocationBean();
        long start = System.nanoTime();
        int runs = 0;
        int clean = 0;
        while (true) {
            long before = bean == null ? 0 : bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < RUNS_PER_ROUND; i++) {
                pipeline.run();
            }
            runs += RUNS_PER_ROUND;
            clean = bean != null && bean.getCurrentThreadAllocatedBytes() == before ? clean + 1 : 0;
            long elapsed = System.nanoTime() - start;
            if ((clean >= CLEAN_ROUNDS && runs >= MIN_RUNS) || elapsed >= budgetNanos) {
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
