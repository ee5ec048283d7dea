package dev.ingot.bench;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.Trainer;
import dev.ingot.runtime.parallel.RunAdmission;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Trains a small {@link StyleLayer} until the JIT has compiled the training step's code: interpreted code reaches
 * memory segments through method handles that allocate and run hundreds of times slower; compiled code does
 * neither. Runs rounds of 100 steps (half of them admitted on one thread, so that all kernel code runs on this
 * thread, where allocation is measured) until three rounds in a row allocate nothing and see no JIT compilation
 * finish, or {@code maxSteps}. Used before
 * measuring heap allocation per step, so the measurement is about the steady state of a long-running service.
 */
public final class JitWarmUp {
    /** Shape of the warm-up layer: small, so a round takes milliseconds once compiled. */
    public static final long[] SHAPE = {2, 4, 8, 8};

    /** Rounds of 100 steps in a row that must allocate nothing before the warm-up ends. */
    private static final int CLEAN_ROUNDS = 3;

    private JitWarmUp() {
    }

    /**
     * Warms up on {@code backend}; frees everything it took.
     *
     * @return the number of steps run
     */
    public static int run(CpuBackend backend, int maxSteps) {
        return run(backend, SHAPE, 7, 0, maxSteps);
    }

    /**
     * Warms up by replaying a training: a layer of {@code shape} made from {@code seed}, at least {@code minSteps}
     * steps. The kernels choose their paths by plane size and by the data (dx is written in float or double
     * depending on how much it cancels, which changes as the loss falls), so replaying the run that will be
     * measured compiles exactly the paths it takes.
     *
     * @return the number of steps run
     */
    public static int run(CpuBackend backend, long[] shape, long seed, int minSteps, int maxSteps) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        StyleLayer small = StyleLayer.create(new Graph(backend), shape, seed);
        int done = 0;
        try (Trainer trainer = Trainer.compile(backend, small.loss(), List.of(small.gamma(), small.beta()),
                small.optimizer())) {
            trainer.tensor(small.content()).copyFrom(small.contentValues());
            trainer.tensor(small.target()).copyFrom(small.targetValues());
            int cleanRounds = 0;
            java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            RunAdmission admission = backend.executor().admission();
            // One clean round can come just before a late compilation; three in a row is the steady state.
            while (done < Math.max(minSteps, 1) || (done < maxSteps && cleanRounds < CLEAN_ROUNDS)) {
                long compiled = jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
                long before;
                long after;
                // Allocation shows only on this thread: admitted on one thread, the steps run every kernel range
                // here. Then as many steps on all threads, so the executor's path is compiled too.
                admission.enter(1);
                try {
                    before = bean.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 50; i++) {
                        trainer.step();
                    }
                    after = bean.getCurrentThreadAllocatedBytes();
                } finally {
                    admission.exit();
                }
                for (int i = 0; i < 50; i++) {
                    trainer.step();
                }
                boolean compiling = jit.isCompilationTimeMonitoringSupported()
                        && jit.getTotalCompilationTime() != compiled;
                cleanRounds = after == before && !compiling ? cleanRounds + 1 : 0;
                done += 100;
            }
        }
        return done;
    }
}
