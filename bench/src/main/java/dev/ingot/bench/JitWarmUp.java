package dev.ingot.bench;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.Trainer;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Trains a small {@link StyleLayer} until the JIT has compiled the training step's code: interpreted code reaches
 * memory segments through method handles that allocate and run hundreds of times slower; compiled code does
 * neither. Replays the same training from its first step in rounds until three rounds in a row allocate nothing on
 * this thread, or {@code maxSteps}. Used before measuring heap allocation per step, so the measurement is about the
 * steady state of a long-running service.
 */
public final class JitWarmUp {
    /** Shape of the warm-up layer: small, so a round takes milliseconds once compiled. */
    public static final long[] SHAPE = {2, 4, 8, 8};

    /** Rounds in a row that must allocate nothing before the warm-up ends. */
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
     * Warms up by replaying a training: a layer of {@code shape} made from {@code seed}, trained from its first step
     * for {@code max(minSteps, 100)} steps per round. The kernels choose their paths by plane size and by the data
     * (dx is written in float or double, and summed again in double, depending on how much it cancels, which
     * changes as the loss falls), so each round starts the training afresh: a round that ran on past the measured
     * steps would compile the paths of a later regime and leave the early steps' paths to be compiled (or
     * deoptimized) during the measurement.
     *
     * @param backend  the backend the measured training runs on
     * @param shape    the measured layer's feature shape
     * @param seed     the measured layer's seed
     * @param minSteps steps of the measured training (at least one round of that many runs)
     * @param maxSteps most steps in all
     * @return the number of steps run
     */
    public static int run(CpuBackend backend, long[] shape, long seed, int minSteps, int maxSteps) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int roundSteps = Math.max(minSteps, 100);
        int done = 0;
        int cleanRounds = 0;
        // One clean round can come just before a late compilation; three in a row is the steady state.
        while (done == 0 || (done < maxSteps && cleanRounds < CLEAN_ROUNDS)) {
            StyleLayer small = StyleLayer.create(new Graph(backend), shape, seed);
            try (Trainer trainer = Trainer.compile(backend, small.loss(), List.of(small.gamma(), small.beta()),
                    small.optimizer())) {
                trainer.tensor(small.content()).copyFrom(small.contentValues());
                trainer.tensor(small.target()).copyFrom(small.targetValues());
                long before = bean.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < roundSteps; i++) {
                    trainer.step();
                }
                cleanRounds = bean.getCurrentThreadAllocatedBytes() == before ? cleanRounds + 1 : 0;
            }
            done += roundSteps;
        }
        return done;
    }
}
