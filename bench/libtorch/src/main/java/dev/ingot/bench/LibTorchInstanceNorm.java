package dev.ingot.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * Affine InstanceNorm in LibTorch through DJL, which has no instance-norm op of its own. It does what
 * {@code at::instance_norm} does: x [N, C, spatial...] is viewed as [1, N*C, spatial...], gamma and beta are tiled
 * N times, batch norm runs in training mode (statistics of each of the N*C planes), and y is viewed back as x's
 * shape. Autograd then differentiates through the views, the tiling and batch norm, as PyTorch's does.
 *
 * <p>One instance serves one shape. It owns two [N*C] running-statistics arrays (DJL's batch norm needs them;
 * training mode updates but never reads them) in the manager it is given. Arrays it returns belong to the manager
 * of the x passed in. Not thread-safe: one instance per thread.
 */
final class LibTorchInstanceNorm {
    private static final String ENGINE = "PyTorch";
    private static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

    private final long[] shape;
    private final Shape planes;
    private final NDArray runningMean;
    private final NDArray runningVar;

    /**
     * @param manager owns the running statistics (closing it frees them)
     * @param shape   x's shape [N, C, spatial...]
     */
    LibTorchInstanceNorm(NDManager manager, long[] shape) {
        this.shape = shape.clone();
        long[] planeShape = shape.clone();
        planeShape[1] = shape[0] * shape[1];
        planeShape[0] = 1;
        this.planes = new Shape(planeShape);
        this.runningMean = manager.zeros(new Shape(planeShape[1]));
        this.runningVar = manager.ones(new Shape(planeShape[1]));
    }

    /**
     * Loads DJL's PyTorch engine (once per JVM) and sets LibTorch's intra-op thread count, the equivalent of
     * {@code torch.set_num_threads}. DJL reads {@value #THREADS_PROPERTY} when the engine is first loaded; later
     * calls set the count directly.
     *
     * @param threads LibTorch's intra-op thread count, at least 1
     * @throws IllegalArgumentException when {@code threads} is below 1
     * @throws IllegalStateException    when LibTorch does not report {@code threads} intra-op threads afterwards
     */
    static Engine engine(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected at least 1, got " + threads);
        }
        System.setProperty(THREADS_PROPERTY, Integer.toString(threads));
        Engine engine = Engine.getEngine(ENGINE);
        if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
        int actual = JniUtils.getNumThreads();
        if (actual != threads) {
            throw new IllegalStateException("LibTorch intra-op threads: expected " + threads + ", got " + actual);
        }
        return engine;
    }

    /**
     * y = InstanceNorm(x) * gamma + beta over each [N, C] plane, with PyTorch's default eps. Records autograd
     * history when grad mode is on (inside a {@link GradientCollector}) and an input requires a gradient.
     *
     * @param x     [N, C, spatial...] float32, of this instance's shape
     * @param gamma [C]
     * @param beta  [C]
     * @return y in x's manager (as are the intermediate arrays)
     */
    NDArray forward(NDArray x, NDArray gamma, NDArray beta) {
        long batch = shape[0];
        NDArray normalized = x.getNDArrayInternal().batchNorm(x.reshape(planes), runningMean, runningVar,
                        gamma.tile(batch), beta.tile(batch),
                        // -1: DJL's PyTorch engine calls torch's batch_norm as is (channels on axis 1); any other
                        // axis adds a transpose before and after.
                        -1, 0.1f, InstanceNormCase.EPS, true)
                .singletonOrThrow();
        return normalized.reshape(new Shape(shape));
    }

    /**
     * Back-propagates {@code dy} through the graph recorded for {@code y}, {@code y.backward(dy)} in PyTorch: the
     * gradients accumulate into the leaves that require them, and the graph is freed.
     */
    static void backward(NDArray y, NDArray dy) {
        JniUtils.backward((PtNDArray) y, (PtNDArray) dy, false, false);
    }

    /**
     * Runs forward and backward on {@code c} and reads the results back, all in a manager of its own.
     *
     * @param manager parent of the temporary manager; nothing is left in it
     */
    static InstanceNormResults run(InstanceNormCase c, NDManager manager) {
        Engine engine = manager.getEngine();
        try (NDManager scope = manager.newSubManager()) {
            LibTorchInstanceNorm norm = new LibTorchInstanceNorm(scope, c.shape());
            Shape shape = new Shape(c.shape());
            Shape perChannel = new Shape(c.channels());
            NDArray x = scope.create(c.x(), shape);
            NDArray gamma = scope.create(c.gamma(), perChannel);
            NDArray beta = scope.create(c.beta(), perChannel);
            NDArray dy = scope.create(c.dy(), shape);
            for (NDArray leaf : new NDArray[] {x, gamma, beta}) {
                leaf.setRequiresGradient(true);
            }
            NDArray y;
            try (GradientCollector collector = engine.newGradientCollector()) {
                y = norm.forward(x, gamma, beta);
            }
            float[] forward = y.toFloatArray();
            backward(y, dy);
            return new InstanceNormResults(forward, x.getGradient().toFloatArray(),
                    gamma.getGradient().toFloatArray(), beta.getGradient().toFloatArray());
        }
    }
}
