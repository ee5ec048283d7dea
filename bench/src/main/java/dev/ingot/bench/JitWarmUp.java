package dev.ingot.bench;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.Trainer;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Trains a small {@link StyleLayer} until the JIT has compiled the training step's code: interpreted code reaches
 * memory segments through method handles that allocate and run hundreds of times slower; compiled code does
 * neither. Runs rounds of 100 steps until a round allocates nothing on this thread, or {@code maxSteps}. Used before
 * measuring heap allocation per step, so the measurement is about the steady state of a long-running service.
 */
public final class JitWarmUp {
    /** Shape of the warm-up layer: small, so a round takes milliseconds once compiled. */
    public static final long[] SHAPE = {2, 4, 8, 8};

    private JitWarmUp() {
    }

    /**
     * Warms up on {@code backend}; frees everything it took.
     *
     * @return the number of steps run
     */
    public static int run(CpuBackend backend, int maxSteps) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        StyleLayer small = StyleLayer.create(new Graph(backend), SHAPE, 7);
        int done = 0;
        try (Trainer trainer = Trainer.compile(backend, small.loss(), List.of(small.gamma(), small.beta()),
                small.optimizer())) {
            trainer.tensor(small.content()).copyFrom(small.contentValues());
            trainer.tensor(small.target()).copyFrom(small.targetValues());
            long allocated = Long.MAX_VALUE;
            while (done < maxSteps && allocated > 0) {
                long before = bean.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    trainer.step();
                }
                allocated = bean.getCurrentThreadAllocatedBytes() - before;
                done += 100;
            }
        }
        return done;
    }
}
