package dev.ingot.ops.norm;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.StorageType;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Instance normalization: the op convention of {@value #OP_TYPE} and {@value #GRAD_OP_TYPE}, and a direct Java
 * API that runs them on tensors without building a pipeline.
 *
 * <h2>{@value #OP_TYPE}</h2>
 * For every batch entry n and channel c, over the plane of M spatial elements of x (rank 3, 4 or 5:
 * [N, C, L], [N, C, H, W], [N, C, D, H, W]):
 * <pre>
 *   mean = sum(x) / M,   var = sum((x - mean)^2) / M (biased),   invstd = 1 / sqrt(var + eps)
 *   y    = (x - mean) * invstd * gamma[c] + beta[c]
 * </pre>
 * <ul>
 *   <li>Attributes: {@value #EPS} (double, finite and &gt; 0, default {@value #DEFAULT_EPS}), {@value #GAMMA}
 *       (boolean, default false: whether a gamma input is given; absent gamma means 1), {@value #BETA} (boolean,
 *       default false: whether a beta input is given; absent beta means 0). Unknown attribute names are rejected.</li>
 *   <li>Inputs, in order: x; then gamma [C] if {@value #GAMMA}; then beta [C] if {@value #BETA}.</li>
 *   <li>Outputs: y (the type of x), mean [N, C] and invstd [N, C] (float32, NCHW).</li>
 * </ul>
 *
 * <h2>{@value #GRAD_OP_TYPE}</h2>
 * With xhat = (x - mean) * invstd and means over the plane:
 * <pre>
 *   dx     = gamma[c] * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))
 *   dgamma = sum over n and space of dy * xhat,      dbeta = sum over n and space of dy
 * </pre>
 * <ul>
 *   <li>Attributes: {@value #EPS} (as above; used when statistics are recomputed, and to recognise a saved invstd
 *       as the float32 rounding of the exact one), {@value #SAVED_STATS} (boolean, default true),
 *       {@value #GAMMA} (boolean, default false: a gamma input is given and dgamma is output), {@value #BETA}
 *       (boolean, default false: dbeta is output), {@value #IN_PLACE} (boolean, default false).</li>
 *   <li>Inputs, in order: x, dy (shape and layout of x); then the forward's mean and invstd [N, C] if
 *       {@value #SAVED_STATS} (otherwise both are recomputed from x); then gamma [C] if {@value #GAMMA}.</li>
 *   <li>Outputs: dx (the type of x); then dgamma [C] if {@value #GAMMA}; then dbeta [C] if {@value #BETA}.</li>
 *   <li>The saved mean is used only as a centring point: the exact mean of x is recovered in the same pass, so its
 *       float32 rounding costs no accuracy. A saved invstd that is the float32 rounding of the exact one is
 *       replaced by the exact value; any other saved invstd is used as given.</li>
 *   <li><b>In place</b> ({@value #IN_PLACE} = true): dx is written over dy. Output 0 must be the dy tensor itself
 *       (the same object as input 1, which must be writable). A pipeline must therefore not acquire memory for
 *       dx, must treat dy as consumed by this op (no later op may read dy's old values), and must keep dy's
 *       memory alive until dx's last use. Saves the write-allocate traffic of a separate dx. With ingot's
 *       {@link dev.ingot.runtime.Pipeline}, add the op with {@code Builder.update(execution, inputs, targets)} where
 *       dy is a parameter and {@code targets} starts with dy; the direct API runs in place when dx is dy.</li>
 * </ul>
 *
 * <h2>Both ops</h2>
 * <ul>
 *   <li>Tensors are dense float32; x may be NCHW or channels-last (NLC / NHWC / NDHWC), and both give the same
 *       numbers. dy must have the layout of x. Parameters and statistics are NCHW.</li>
 *   <li>A plane of one element is allowed: var = 0, xhat = 0, so y = beta and dx = 0; invstd = 1 / sqrt(eps).</li>
 *   <li>A NaN or infinity in one plane spoils only that plane's outputs and the dgamma / dbeta entries of its
 *       channel; nothing throws.</li>
 *   <li>Statistics are accumulated in double and centred. For any float32 input whose exact outputs float32 can
 *       hold, y, mean, invstd and dx are within 1e-6 normwise of them (spreads from subnormal to near the float
 *       maximum, eps down to {@code Double.MIN_VALUE}, constant planes, dx that cancels to 1/200000 of its terms;
 *       where dx cancels further, within 1e-12 of the size of its terms);
 *       an output beyond float32's range is the correctly signed infinity. dgamma and dbeta are within 1e-6
 *       normwise too (within 1e-12 of the size of their terms, sqrt(sum over n of invstd^2 sum(dy^2) var) and
 *       sqrt(sum(dy^2)), where they cancel below a millionth of it). With the Vector API kernels, the saved mean,
 *       dgamma and dbeta get there by a statistical estimate of their float-lane sums' rounding error and a
 *       second sum in double where it could reach 8e-7 of the output's largest entry; that second sum needs
 *       the input again, so when y is written over x, or dx over dy, the saved mean, dgamma and dbeta are within
 *       1e-6 of the size of their terms only (about 1e-7 in practice). Results are bitwise the same for any
 *       thread count.</li>
 *   <li>Bad arguments throw {@link IllegalArgumentException} naming the argument, what was expected and what
 *       came: a rank outside 3..5, a zero-size dimension, dy not of x's shape or layout, gamma/beta not [C],
 *       saved statistics not [N, C], eps not finite and positive, a layout other than NCHW/channels-last. They
 *       are raised when the execution is created (attributes) or planned ({@code outputTypes}/{@code onResize}),
 *       never part-way through a run.</li>
 * </ul>
 *
 * <h2>Direct API</h2>
 * The static methods below create, plan and run one execution per call on the given backend's executor:
 * <pre>{@code
 * try (CpuBackend backend = new CpuBackend();
 *      Tensor x = Tensor.copyOf(data, Shape.of(2, 3, 32, 32));
 *      InstanceNorm.Forward out = InstanceNorm.forward(backend, x, null, null, 1e-5);
 *      Tensor dy = Tensor.copyOf(upstream, x.shape());
 *      InstanceNorm.Gradients grads = InstanceNorm.backward(backend, x, dy, out.mean(), out.invstd(),
 *                                                           null, false, 1e-5)) {
 *     float[] y = out.y().toFloatArray();
 *     float[] dx = grads.dx().toFloatArray();
 * }
 * }</pre>
 * Outputs the API creates are STATIC tensors of the backend, owned by the caller: close the returned record (or
 * each tensor) to give their memory back. The {@code ...Into} methods write into tensors the caller provides and
 * allocate no tensor memory; every call still allocates a little heap scratch, so a hot loop over one shape is
 * better served by a pipeline (or an {@link Execution} from {@link dev.ingot.runtime.OpRegistry}) planned once.
 * Thread-safety: calls are independent; tensors must not be written by others during a call.
 */
public final class InstanceNorm {
    /** Op type of the forward op. */
    public static final String OP_TYPE = "InstanceNorm";
    /** Op type of the backward op. */
    public static final String GRAD_OP_TYPE = "InstanceNormGrad";
    /** Attribute: the epsilon added to the variance (double). */
    public static final String EPS = "eps";
    /** Attribute: a gamma input is given (and, for the gradient, dgamma is output). */
    public static final String GAMMA = "gamma";
    /** Attribute: a beta input is given (forward) / dbeta is output (gradient). */
    public static final String BETA = "beta";
    /** Attribute of the gradient: saved mean and invstd are inputs (default true). */
    public static final String SAVED_STATS = "savedStats";
    /** Attribute of the gradient: dx is written over dy (default false). */
    public static final String IN_PLACE = "inPlace";
    /** Default epsilon, as PyTorch's. */
    public static final double DEFAULT_EPS = 1e-5;

    private InstanceNorm() {
    }

    /**
     * Forward outputs, owned by the caller. {@link #close()} releases all three.
     *
     * @param y      the normalized tensor, type of x
     * @param mean   per-instance mean [N, C]
     * @param invstd per-instance 1 / sqrt(var + eps) [N, C]
     */
    public record Forward(Tensor y, Tensor mean, Tensor invstd) implements AutoCloseable {
        @Override
        public void close() {
            closeAll(y, mean, invstd);
        }
    }

    /**
     * Backward outputs, owned by the caller. {@link #close()} releases those this API created.
     *
     * @param dx     gradient of x, type of x
     * @param dgamma gradient of gamma [C], or null when gamma was not given
     * @param dbeta  gradient of beta [C], or null when not asked for
     */
    public record Gradients(Tensor dx, Tensor dgamma, Tensor dbeta) implements AutoCloseable {
        @Override
        public void close() {
            closeAll(dx, dgamma, dbeta);
        }
    }

    /**
     * Runs {@value #OP_TYPE} into new tensors of {@code backend}.
     *
     * @param backend whose executor runs the op and whose STATIC memory holds the outputs
     * @param x       input, float32 rank 3 to 5, NCHW or channels-last; read only
     * @param gamma   per-channel scale [C], or null for 1
     * @param beta    per-channel shift [C], or null for 0
     * @param eps     added to the variance, finite and &gt; 0 (PyTorch's default is {@value #DEFAULT_EPS})
     * @return y, mean and invstd, owned by the caller (close them)
     * @throws IllegalArgumentException for bad shapes, layouts or eps (see the class comment)
     *                                  (and, before anything runs, for a tensor over memory confined to
     *                                  one thread that the backend's threads cannot use: {@link CpuBackend#checkAccessible})
     */
    public static Forward forward(CpuBackend backend, Tensor x, Tensor gamma, Tensor beta, double eps) {
        checkAccessible(backend, "x", x, "gamma", gamma, "beta", beta);
        Execution e = new InstanceNormExecution(forwardAttributes(gamma, beta, eps), backend);
        List<Tensor> outputs = runIntoNewOutputs(backend, e, forwardInputs(x, gamma, beta));
        return new Forward(outputs.get(0), outputs.get(1), outputs.get(2));
    }

    /**
     * Runs {@value #OP_TYPE} into tensors the caller provides; allocates no tensor memory.
     *
     * @param backend whose executor runs the op
     * @param x       input, float32 rank 3 to 5, NCHW or channels-last; read only
     * @param gamma   per-channel scale [C], or null for 1
     * @param beta    per-channel shift [C], or null for 0
     * @param eps     added to the variance, finite and &gt; 0
     * @param y       output of x's type (shape, layout), writable
     * @param mean    output float32 [N, C], writable
     * @param invstd  output float32 [N, C], writable
     * @throws IllegalArgumentException for bad shapes, layouts or eps, or outputs of the wrong type or read-only
     *                                  (and, before anything runs, for a tensor over memory confined to
     *                                  one thread that the backend's threads cannot use: {@link CpuBackend#checkAccessible})
     */
    public static void forwardInto(CpuBackend backend, Tensor x, Tensor gamma, Tensor beta, double eps,
                                   Tensor y, Tensor mean, Tensor invstd) {
        checkAccessible(backend, "x", x, "gamma", gamma, "beta", beta, "y", y, "mean", mean, "invstd", invstd);
        Execution e = new InstanceNormExecution(forwardAttributes(gamma, beta, eps), backend);
        run(backend, e, forwardInputs(x, gamma, beta), List.of(y, mean, invstd));
    }

    /**
     * Runs {@value #GRAD_OP_TYPE} into new tensors of {@code backend}.
     *
     * @param backend   whose executor runs the op and whose STATIC memory holds the outputs
     * @param x         the forward's input; read only
     * @param dy        gradient of the loss with respect to y, x's shape and layout; read only
     * @param mean      the forward's mean [N, C], or null (with invstd null) to recompute the statistics
     * @param invstd    the forward's invstd [N, C], or null (with mean null)
     * @param gamma     the forward's gamma [C], or null for 1 (then no dgamma)
     * @param withDbeta whether to compute dbeta
     * @param eps       the forward's eps, finite and &gt; 0
     * @return dx, and dgamma / dbeta where asked for, owned by the caller (close them)
     * @throws IllegalArgumentException for bad shapes, layouts or eps, or only one of mean and invstd
     *                                  (and, before anything runs, for a tensor over memory confined to
     *                                  one thread that the backend's threads cannot use: {@link CpuBackend#checkAccessible})
     */
    public static Gradients backward(CpuBackend backend, Tensor x, Tensor dy, Tensor mean, Tensor invstd,
                                     Tensor gamma, boolean withDbeta, double eps) {
        checkAccessible(backend, "x", x, "dy", dy, "mean", mean, "invstd", invstd, "gamma", gamma);
        Execution e = new InstanceNormGradExecution(backwardAttributes(mean, invstd, gamma, withDbeta, eps, false),
                backend);
        List<Tensor> outputs = runIntoNewOutputs(backend, e, backwardInputs(x, dy, mean, invstd, gamma));
        return new Gradients(outputs.get(0), gamma == null ? null : outputs.get(1),
                withDbeta ? outputs.get(outputs.size() - 1) : null);
    }

    /**
     * Runs {@value #GRAD_OP_TYPE} into tensors the caller provides. Passing {@code dy} itself as {@code dx} runs
     * the op in place (dx written over dy).
     *
     * @param backend whose executor runs the op
     * @param x       the forward's input; read only
     * @param dy      gradient of the loss with respect to y, x's shape and layout
     * @param mean    the forward's mean [N, C], or null (with invstd null) to recompute the statistics
     * @param invstd  the forward's invstd [N, C], or null (with mean null)
     * @param gamma   the forward's gamma [C], or null for 1
     * @param eps     the forward's eps, finite and &gt; 0
     * @param dx      output of x's type, writable; {@code dy} itself to run in place
     * @param dgamma  output [C], required exactly when gamma is given (else null)
     * @param dbeta   output [C], or null when dbeta is not wanted
     * @throws IllegalArgumentException for bad shapes, layouts or eps, or outputs of the wrong type
     *                                  (and, before anything runs, for a tensor over memory confined to
     *                                  one thread that the backend's threads cannot use: {@link CpuBackend#checkAccessible})
     */
    public static void backwardInto(CpuBackend backend, Tensor x, Tensor dy, Tensor mean, Tensor invstd,
                                    Tensor gamma, double eps, Tensor dx, Tensor dgamma, Tensor dbeta) {
        if ((gamma == null) != (dgamma == null)) {
            throw new IllegalArgumentException(GRAD_OP_TYPE + ": dgamma: expected "
                    + (gamma == null ? "null without gamma" : "a tensor when gamma is given") + ", got "
                    + (dgamma == null ? "null" : dgamma.type()));
        }
        checkAccessible(backend, "x", x, "dy", dy, "mean", mean, "invstd", invstd, "gamma", gamma, "dx", dx,
                "dgamma", dgamma, "dbeta", dbeta);
        boolean inPlace = dx == dy;
        Execution e = new InstanceNormGradExecution(
                backwardAttributes(mean, invstd, gamma, dbeta != null, eps, inPlace), backend);
        List<Tensor> outputs = new ArrayList<>(3);
        outputs.add(dx);
        if (dgamma != null) {
            outputs.add(dgamma);
        }
        if (dbeta != null) {
            outputs.add(dbeta);
        }
        run(backend, e, backwardInputs(x, dy, mean, invstd, gamma), outputs);
    }

    /** Refuses, naming it, an argument whose memory the backend's threads cannot use (confined memory). */
    private static void checkAccessible(CpuBackend backend, Object... namesAndTensors) {
        if (backend == null) {
            throw new IllegalArgumentException("backend: expected a CpuBackend, got null");
        }
        for (int i = 0; i < namesAndTensors.length; i += 2) {
            backend.checkAccessible((String) namesAndTensors[i], (Tensor) namesAndTensors[i + 1]);
        }
    }

    private static Attributes forwardAttributes(Tensor gamma, Tensor beta, double eps) {
        return Attributes.of(EPS, eps, GAMMA, gamma != null, BETA, beta != null);
    }

    private static Attributes backwardAttributes(Tensor mean, Tensor invstd, Tensor gamma, boolean dbeta,
                                                 double eps, boolean inPlace) {
        if ((mean == null) != (invstd == null)) {
            throw new IllegalArgumentException(GRAD_OP_TYPE + ": mean, invstd: expected both or neither, got "
                    + (mean == null ? "invstd only" : "mean only"));
        }
        return Attributes.of(EPS, eps, SAVED_STATS, mean != null, GAMMA, gamma != null, BETA, dbeta,
                IN_PLACE, inPlace);
    }

    private static List<Tensor> forwardInputs(Tensor x, Tensor gamma, Tensor beta) {
        List<Tensor> inputs = new ArrayList<>(3);
        inputs.add(requireTensor("x", x));
        if (gamma != null) {
            inputs.add(gamma);
        }
        if (beta != null) {
            inputs.add(beta);
        }
        return inputs;
    }

    private static List<Tensor> backwardInputs(Tensor x, Tensor dy, Tensor mean, Tensor invstd, Tensor gamma) {
        List<Tensor> inputs = new ArrayList<>(5);
        inputs.add(requireTensor("x", x));
        inputs.add(requireTensor("dy", dy));
        if (mean != null) {
            inputs.add(mean);
            inputs.add(invstd);
        }
        if (gamma != null) {
            inputs.add(gamma);
        }
        return inputs;
    }

    private static Tensor requireTensor(String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(name + ": expected a tensor, got null");
        }
        return t;
    }

    private static List<TensorType> types(List<Tensor> tensors) {
        List<TensorType> types = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) {
            types.add(t.type());
        }
        return types;
    }

    private static List<Tensor> newOutputs(CpuBackend backend, List<TensorType> types) {
        List<Tensor> outputs = new ArrayList<>(types.size());
        try {
            for (TensorType type : types) {
                Tensor t = backend.newTensor(type);
                outputs.add(t);
                backend.acquire(t, StorageType.STATIC);
            }
        } catch (Throwable e) {
            closeAfter(e, outputs.toArray(Tensor[]::new));
            throw e;
        }
        return outputs;
    }

    /**
     * Runs {@code e} into new STATIC tensors of {@code backend}. Output types are checked (and the op's heap
     * scratch sized) before any memory is taken; whatever is thrown after that, Errors included, the outputs are
     * released before it propagates.
     */
    static List<Tensor> runIntoNewOutputs(CpuBackend backend, Execution e, List<Tensor> inputs) {
        List<Tensor> outputs = newOutputs(backend, e.outputTypes(types(inputs)));
        try {
            run(backend, e, inputs, outputs);
        } catch (Throwable ex) {
            closeAfter(ex, outputs.toArray(Tensor[]::new));
            throw ex;
        }
        return outputs;
    }

    private static void run(CpuBackend backend, Execution e, List<Tensor> inputs, List<Tensor> outputs) {
        e.onResize(inputs, outputs);
        backend.onExecuteBegin();
        try {
            e.onExecute(inputs, outputs);
        } finally {
            backend.onExecuteEnd();
        }
    }

    /** Closes every tensor, even when one close throws; the first failure is thrown with the others suppressed. */
    private static void closeAll(Tensor... tensors) {
        Throwable first = null;
        for (Tensor t : tensors) {
            if (t != null) {
                try {
                    t.close();
                } catch (Throwable e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error err) {
            throw err;
        }
    }

    /** Releases {@code tensors} after {@code failure}, which propagates; a failure to close is added to it. */
    private static void closeAfter(Throwable failure, Tensor... tensors) {
        try {
            closeAll(tensors);
        } catch (Throwable e) {
            failure.addSuppressed(e);
        }
    }
}
