package dev.ingot.ops.grad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.MemoryMode;
import dev.ingot.runtime.MemoryPlan;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.GradRegistry;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.SgdMomentum;
import dev.ingot.runtime.express.Trainer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Planned training steps: convergence, memory plan, in-place updates, no allocation, refusals. */
class TrainerTest {

    /** y = IN(x; gamma, beta) fitted to a target with per-channel std {@code std} and mean {@code shift}. */
    private record NormProblem(Expr x, Expr target, Expr gamma, Expr beta, Expr loss, float[] xs, float[] ts,
                               float[] std, float[] shift) {
        static NormProblem create(Graph g, int n, int c, int m, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            TensorType t = TensorType.float32(n, c, m);
            float[] xs = new float[n * c * m];
            float[] ts = new float[xs.length];
            float[] std = new float[c];
            float[] shift = new float[c];
            for (int ch = 0; ch < c; ch++) {
                std[ch] = (float) random.nextDouble(0.5, 2);
                shift[ch] = (float) random.nextDouble(-1, 1);
            }
            for (int p = 0; p < n * c; p++) {
                double sum = 0;
                for (int i = 0; i < m; i++) {
                    xs[p * m + i] = (float) random.nextDouble(-3, 5);
                    sum += xs[p * m + i];
                }
                double mean = sum / m;
                double sq = 0;
                for (int i = 0; i < m; i++) {
                    sq += (xs[p * m + i] - mean) * (xs[p * m + i] - mean);
                }
                double inv = 1 / Math.sqrt(sq / m + 1e-5);
                for (int i = 0; i < m; i++) {
                    ts[p * m + i] = (float) ((xs[p * m + i] - mean) * inv * std[p % c] + shift[p % c]);
                }
            }
            float[] ones = new float[c];
            Arrays.fill(ones, 1);
            Expr x = g.input("x", t);
            Expr target = g.input("target", t);
            Expr gamma = g.parameter("gamma", TensorType.float32(c), ones);
            Expr beta = g.parameter("beta", TensorType.float32(c), new float[c]);
            Expr loss = MathOps.mseLoss(InstanceNormExpr.of(x, gamma, beta, 1e-5), target);
            return new NormProblem(x, target, gamma, beta, loss, xs, ts, std, shift);
        }

        Trainer compile(CpuBackend backend) {
            Trainer trainer = Trainer.compile(backend, loss, List.of(gamma, beta),
                    new SgdMomentum(0.05 * gamma.type().elementCount(), 0.9));
            trainer.tensor(x).copyFrom(xs);
            trainer.tensor(target).copyFrom(ts);
            return trainer;
        }
    }

    @Test
    void anInstanceNormLayerLearnsTheTargetStatistics() {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            NormProblem problem = NormProblem.create(new Graph(backend), 3, 6, 50, 1);
            try (Trainer trainer = problem.compile(backend)) {
                trainer.step();
                float first = trainer.loss();
                for (int i = 0; i < 150; i++) {
                    trainer.step();
                }
                float last = trainer.loss();
                assertTrue(first / last >= 10, () -> "loss " + first + " -> " + last);
                assertArrayEquals(problem.std(), trainer.tensor(problem.gamma()).toFloatArray(), 0.02f);
                assertArrayEquals(problem.shift(), trainer.tensor(problem.beta()).toFloatArray(), 0.02f);
            }
        }
    }

    @Test
    void aChainOfElementwiseOpsFitsItsParameters() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build()) {
            Graph g = new Graph(backend);
            SplittableRandom random = new SplittableRandom(2);
            int count = 64;
            TensorType t = TensorType.float32(4, 16);
            float[] xs = new float[count];
            float[] ts = new float[count];
            float[] wTrue = new float[count];
            for (int i = 0; i < count; i++) {
                xs[i] = (float) random.nextDouble(0.5, 1.5);
                wTrue[i] = (float) random.nextDouble(-2, 2);
                ts[i] = wTrue[i] * xs[i] + 0.5f;
            }
            Expr x = g.input("x", t);
            Expr target = g.input("t", t);
            Expr w = g.parameter("w", t, new float[count]);
            Expr b = g.parameter("b", t, new float[count]);
            Expr loss = MathOps.mean(MathOps.square(MathOps.sub(MathOps.add(MathOps.mul(w, x), b), target)));
            try (Trainer trainer = Trainer.compile(backend, loss, List.of(w, b), new SgdMomentum(0.05 * count, 0.5))) {
                trainer.tensor(x).copyFrom(xs);
                trainer.tensor(target).copyFrom(ts);
                trainer.step();
                float first = trainer.loss();
                for (int i = 0; i < 200; i++) {
                    trainer.step();
                }
                assertTrue(first / trainer.loss() >= 10, () -> first + " -> " + trainer.loss());
                assertEquals(Set.of("Add", "Mean", "Mul", "Square", "Sub"), trainer.gradients().rulesUsed());
            }
        }
    }

    @Test
    void theStepIsOnePlannedPipelineWithStaticParametersInEitherMemoryMode() {
        float[][] losses = new float[2][];
        MemoryPlan[] plans = new MemoryPlan[2];
        MemoryMode[] modes = {MemoryMode.EAGER, MemoryMode.DEFERRED};
        for (int k = 0; k < 2; k++) {
            try (CpuBackend backend = CpuBackend.builder().threads(2).memoryMode(modes[k]).build()) {
                NormProblem problem = NormProblem.create(new Graph(backend), 2, 4, 64, 3);
                try (Trainer trainer = problem.compile(backend)) {
                    losses[k] = new float[20];
                    for (int i = 0; i < 20; i++) {
                        trainer.step();
                        losses[k][i] = trainer.loss();
                    }
                    plans[k] = trainer.plan();
                }
            }
        }
        assertArrayEquals(losses[0], losses[1]); // placement changes where tensors live, not what they hold
        for (int k = 0; k < 2; k++) {
            MemoryPlan plan = plans[k];
            assertEquals(modes[k], plan.mode());
            // forward, loss, loss gradient, fused backward, two updates
            assertEquals(6, plan.ops());
            // y, mean, invstd, loss, dy, dx, dgamma, dbeta are DYNAMIC
            assertEquals(8, plan.dynamicTensors());
            assertTrue(plan.peakDynamicBytes() < plan.totalDynamicBytes(), plan::toString);
            assertTrue(plan.peakDynamicBytes() >= plan.lowerBoundBytes(), plan::toString);
            // inputs x and target, gamma and beta, their velocities, and the loss seed are STATIC
            assertTrue(plan.staticBytes() >= 2 * 2 * 4 * 64 * 4 + 4 * 4 * 4, plan::toString);
        }
    }

    @Test
    void aStepAllocatesNothingOnceCompiled() {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            NormProblem problem = NormProblem.create(new Graph(backend), 2, 4, 40, 4);
            try (Trainer trainer = problem.compile(backend)) {
                // interpreted code allocates; rounds run until the JIT has compiled the step (bounded)
                long allocated = Long.MAX_VALUE;
                for (int round = 0; round < 200 && allocated > 0; round++) {
                    long before = ThreadHeap.allocated();
                    for (int i = 0; i < 100; i++) {
                        trainer.step();
                    }
                    allocated = ThreadHeap.allocated() - before;
                }
                assertEquals(0, allocated, "bytes allocated by 100 steps of compiled code");
            }
        }
    }

    @Test
    void whileOneThreadHoldsTheTrainerAnotherThreadsStepAndReadsAreRefused() throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build()) {
            NormProblem problem = NormProblem.create(new Graph(backend), 2, 3, 16, 5);
            java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
            try (Trainer trainer = problem.compile(backend)) {
                float loss;
                try (var hold = trainer.hold()) {
                    trainer.step();
                    loss = trainer.loss();
                    for (java.util.concurrent.Callable<?> use : List.<java.util.concurrent.Callable<?>>of(
                            () -> {
                                trainer.step();
                                return null;
                            },
                            trainer::loss,
                            () -> trainer.tensor(problem.gamma()).toFloatArray(),
                            () -> {
                                trainer.tensor(problem.x()).copyFrom(problem.xs());
                                return null;
                            })) {
                        var failure = org.junit.jupiter.api.Assertions.assertThrows(
                                java.util.concurrent.ExecutionException.class,
                                () -> other.submit(use).get(30, java.util.concurrent.TimeUnit.SECONDS));
                        assertTrue(failure.getCause() instanceof IllegalStateException, failure.toString());
                    }
                    assertEquals(loss, trainer.loss(), "nothing ran meanwhile");
                }
                other.submit(trainer::step).get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(trainer.loss() < loss, "after the hold, another thread steps");
            } finally {
                other.shutdownNow();
            }
        }
    }

    @Test
    void compileRefusesWhatItCannotTrain() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build()) {
            NormProblem problem = NormProblem.create(new Graph(backend), 1, 2, 8, 5);
            SgdMomentum sgd = new SgdMomentum(0.1, 0.9);
            assertThrows(IllegalArgumentException.class,
                    () -> Trainer.compile(backend, problem.loss(), List.of(problem.x()), sgd)); // an input
            Expr notScalar = MathOps.square(problem.x());
            assertThrows(IllegalArgumentException.class,
                    () -> Trainer.compile(backend, notScalar, List.of(problem.gamma()), sgd));
            GradRegistry noNorm = GradRegistry.of(GradRegistry.standard().opTypes().stream()
                    .filter(op -> !op.equals("InstanceNorm")).map(op -> GradRegistry.standard().rule(op)).toList());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Trainer.compile(backend,
                    OpRegistry.standard(), noNorm, problem.loss(), List.of(problem.gamma()), sgd));
            assertTrue(e.getMessage().contains("InstanceNorm"), e.getMessage());
            assertEquals(0, backend.staticBytesInUse()); // nothing compiled, nothing held
        }
    }
}
