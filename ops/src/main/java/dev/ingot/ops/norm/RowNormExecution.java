package dev.ingot.ops.norm;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.ops.internal.Slots;
import dev.ingot.ops.norm.kernel.ForwardPass;
import dev.ingot.ops.norm.kernel.Kernels;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.ops.norm.kernel.RowLayout;
import dev.ingot.ops.norm.kernel.RowNormForward;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The forward execution of GroupNorm, LayerNorm, RMSNorm and BatchNorm (see their API classes for the
 * conventions). GroupNorm with one channel per group runs InstanceNorm's passes. Scratch is sized in
 * {@link #onResize}; {@link #onExecute} allocates nothing.
 */
final class RowNormExecution implements Execution {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final RowNormKind kind;
    private final NormChecks check;
    private final double eps;
    private final int groups;
    private final long axisAttribute;
    private final boolean training;
    private final double momentum;
    private final Slots in;
    private final Slots out;
    private final int gammaAt;
    private final int betaAt;
    private final int runningMeanAt;
    private final int runningVarAt;
    private final ExecutorParallel parallel;
    private TensorType planned;
    private RowNormForward rows;
    private ForwardPass instance;
    private double unbiasing;

    RowNormExecution(RowNormKind kind, Attributes attributes, CpuBackend backend) {
        this.kind = kind;
        this.check = new NormChecks(kind.op);
        check.knownAttributes(attributes, kind.attributes);
        this.eps = check.eps(attributes, kind.defaultEps);
        this.groups = kind.groups(attributes, check);
        this.axisAttribute = kind.axis(attributes);
        this.training = kind != RowNormKind.BATCH || attributes.getBoolean(BatchNorm.TRAINING, true);
        this.momentum = attributes.getDouble(BatchNorm.MOMENTUM, BatchNorm.DEFAULT_MOMENTUM);
        if (!(momentum >= 0 && momentum <= 1)) {
            throw check.fail("attribute " + BatchNorm.MOMENTUM, "a value in [0, 1]", momentum);
        }
        boolean running = kind == RowNormKind.BATCH
                && (!training || attributes.getBoolean(BatchNorm.RUNNING_STATS, false));
        this.in = Slots.of("x").optional("gamma", attributes.getBoolean(InstanceNorm.GAMMA, false))
                .optional("beta", kind != RowNormKind.RMS && attributes.getBoolean(InstanceNorm.BETA, false))
                .optional("runningMean", running).optional("runningVar", running);
        Slots o = Slots.of("y");
        if (training) {
            o = o.optional("mean", kind.centred).optional(kind.centred ? "invstd" : "invrms", true)
                    .optional("runningMeanOut", running).optional("runningVarOut", running);
        }
        this.out = o;
        this.gammaAt = in.index("gamma");
        this.betaAt = in.index("beta");
        this.runningMeanAt = in.index("runningMean");
        this.runningVarAt = in.index("runningVar");
        this.parallel = new ExecutorParallel(backend.executor());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        check.inputCount(inputs, in);
        TensorType x = inputs.get(0);
        int axis = kind.checkX("input x", x, axisAttribute, groups, check);
        TensorType param = NormChecks.float32Nchw(kind.paramShape(x.shape(), axis));
        for (String name : new String[] {"gamma", "beta", "runningMean", "runningVar"}) {
            int at = in.index(name);
            if (at >= 0) {
                check.sameType("input " + name, inputs.get(at), "the parameter shape of x " + x.shape(), param);
            }
        }
        TensorType stats = NormChecks.float32Nchw(kind.statsShape(x.shape(), axis, groups));
        TensorType[] types = new TensorType[out.count()];
        types[0] = x;
        for (int i = 1; i < types.length; i++) {
            types[i] = out.list().get(i).startsWith("running") ? param : stats;
        }
        return List.of(types);
    }

    @Override
    public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        List<TensorType> types = OpChecks.types(inputs);
        check.outputs(outputs, outputTypes(types), out.list());
        TensorType x = types.get(0);
        if (x.equals(planned)) {
            return;
        }
        int axis = kind.checkX("input x", x, axisAttribute, groups, check);
        RowLayout layout = kind.layout(x, axis, groups, check);
        if (kind == RowNormKind.BATCH && training && runningMeanAt >= 0 && layout.rowLength() < 2) {
            throw check.fail("input x", "more than one value per channel in training (N * spatial >= 2)",
                    x.shape());
        }
        long m = layout.rowLength();
        unbiasing = m > 1 ? (double) m / (m - 1) : 0;
        if (kind == RowNormKind.GROUP && groups == x.shape().dim(1)) {
            NormGeometry geo = NormGeometry.of(layout.rows() / groups, groups, x.spatialSize(),
                    x.layout() == Layout.CHANNELS_LAST, NormGeometry.DEFAULT_CHUNK_ELEMENTS);
            instance = new ForwardPass(geo, eps, Kernels.selected());
            rows = null;
        } else {
            rows = new RowNormForward(layout, eps, kind.centred, Kernels.selected(), kind.paramOrder(x, axis));
            instance = null;
        }
        planned = x;
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        MemorySegment x = inputs.get(0).segment();
        MemorySegment gamma = Slots.segment(inputs, gammaAt);
        MemorySegment beta = Slots.segment(inputs, betaAt);
        MemorySegment y = outputs.get(0).segment();
        if (!training) {
            rows.runWithStatistics(x, gamma, beta, y, inputs.get(runningMeanAt).segment(),
                    inputs.get(runningVarAt).segment(), parallel);
            return;
        }
        MemorySegment mean = kind.centred ? outputs.get(1).segment() : null;
        MemorySegment invstd = outputs.get(kind.centred ? 2 : 1).segment();
        if (instance != null) {
            instance.run(x, gamma, beta, y, mean, invstd, parallel);
            return;
        }
        rows.run(x, gamma, beta, y, mean, invstd, parallel);
        if (runningMeanAt >= 0) {
            updateRunning(inputs.get(runningMeanAt).segment(), inputs.get(runningVarAt).segment(),
                    outputs.get(3).segment(), outputs.get(4).segment());
        }
    }

    /** PyTorch's update: the batch mean, and the unbiased batch variance, blended with momentum. */
    private void updateRunning(MemorySegment runningMean, MemorySegment runningVar, MemorySegment meanOut,
                               MemorySegment varOut) {
        for (int c = 0, channels = rows.rows(); c < channels; c++) {
            double rm = runningMean.getAtIndex(F32, c);
            double rv = runningVar.getAtIndex(F32, c);
            meanOut.setAtIndex(F32, c, (float) ((1 - momentum) * rm + momentum * rows.mean(c)));
            varOut.setAtIndex(F32, c, (float) ((1 - momentum) * rv + momentum * rows.variance(c) * unbiasing));
        }
    }

    @Override
    public String name() {
        return kind.op;
    }
}
