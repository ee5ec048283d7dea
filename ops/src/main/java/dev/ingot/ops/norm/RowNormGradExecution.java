package dev.ingot.ops.norm;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.ops.internal.Slots;
import dev.ingot.ops.norm.kernel.BackwardPass;
import dev.ingot.ops.norm.kernel.Kernels;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.ops.norm.kernel.RowLayout;
import dev.ingot.ops.norm.kernel.RowNormBackward;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.List;

/**
 * The gradient execution of GroupNorm, LayerNorm, RMSNorm and BatchNorm (conventions on their API classes).
 * GroupNormGrad with one channel per group runs InstanceNormGrad's pass. With {@code inPlace}, dx is written over
 * dy (output 0 must be the dy tensor). {@link #onExecute} allocates nothing.
 */
final class RowNormGradExecution implements Execution {
    private final RowNormKind kind;
    private final NormChecks check;
    private final double eps;
    private final int groups;
    private final long axisAttribute;
    private final boolean training;
    private final boolean inPlace;
    private final Slots in;
    private final Slots out;
    private final int meanAt;
    private final int scaleAt;
    private final int gammaAt;
    private final int dgammaAt;
    private final int dbetaAt;
    private final ExecutorParallel parallel;
    private TensorType planned;
    private RowNormBackward rows;
    private BackwardPass instance;

    RowNormGradExecution(RowNormKind kind, Attributes attributes, CpuBackend backend) {
        this.kind = kind;
        this.check = new NormChecks(kind.gradOp);
        check.knownAttributes(attributes, kind.gradAttributes());
        this.eps = check.eps(attributes, kind.defaultEps);
        this.groups = kind.groups(attributes, check);
        this.axisAttribute = kind.axis(attributes);
        this.training = kind != RowNormKind.BATCH || attributes.getBoolean(BatchNorm.TRAINING, true);
        this.inPlace = attributes.getBoolean(InstanceNorm.IN_PLACE, false);
        boolean saved = !training || attributes.getBoolean(InstanceNorm.SAVED_STATS, true);
        boolean hasGamma = attributes.getBoolean(InstanceNorm.GAMMA, false);
        String meanName = training ? "mean" : "runningMean";
        String scaleName = training ? (kind.centred ? "invstd" : "invrms") : "runningVar";
        this.in = Slots.of("x", "dy").optional(meanName, saved && kind.centred).optional(scaleName, saved)
                .optional("gamma", hasGamma);
        this.out = Slots.of("dx").optional("dgamma", hasGamma)
                .optional("dbeta", kind != RowNormKind.RMS && attributes.getBoolean(InstanceNorm.BETA, false));
        this.meanAt = in.index(meanName);
        this.scaleAt = in.index(scaleName);
        this.gammaAt = in.index("gamma");
        this.dgammaAt = out.index("dgamma");
        this.dbetaAt = out.index("dbeta");
        this.parallel = new ExecutorParallel(backend.executor());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        check.inputCount(inputs, in);
        TensorType x = inputs.get(0);
        int axis = kind.checkX("input x", x, axisAttribute, groups, check);
        check.sameAsX("input dy", inputs.get(1), x);
        TensorType param = NormChecks.float32Nchw(kind.paramShape(x.shape(), axis));
        TensorType stats = training ? NormChecks.float32Nchw(kind.statsShape(x.shape(), axis, groups)) : param;
        for (int at : new int[] {meanAt, scaleAt}) {
            if (at >= 0) {
                check.sameType("input " + in.list().get(at), inputs.get(at), "the statistics of x " + x.shape(),
                        stats);
            }
        }
        if (gammaAt >= 0) {
            check.sameType("input gamma", inputs.get(gammaAt), "the parameter shape of x " + x.shape(), param);
        }
        TensorType[] types = new TensorType[out.count()];
        java.util.Arrays.fill(types, param);
        types[0] = x;
        return List.of(types);
    }

    @Override
    public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        List<TensorType> types = OpChecks.types(inputs);
        check.outputs(outputs, outputTypes(types), out.list());
        if (inPlace) {
            check.dxOverDy(inputs, outputs);
        }
        TensorType x = types.get(0);
        if (x.equals(planned)) {
            return;
        }
        int axis = kind.checkX("input x", x, axisAttribute, groups, check);
        RowLayout layout = kind.layout(x, axis, groups, check);
        if (kind == RowNormKind.GROUP && groups == x.shape().dim(1)) {
            NormGeometry geo = NormGeometry.of(layout.rows() / groups, groups, x.spatialSize(),
                    x.layout() == Layout.CHANNELS_LAST, NormGeometry.DEFAULT_CHUNK_ELEMENTS);
            instance = new BackwardPass(geo, eps, Kernels.selected());
            rows = null;
        } else {
            RowNormBackward.Mode mode = !training ? RowNormBackward.Mode.FIXED
                    : kind.centred ? RowNormBackward.Mode.CENTRED : RowNormBackward.Mode.RMS;
            rows = new RowNormBackward(layout, eps, mode, Kernels.selected(), kind.paramOrder(x, axis));
            instance = null;
        }
        planned = x;
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        if (instance != null) {
            instance.run(inputs.get(0).segment(), inputs.get(1).segment(), Slots.segment(inputs, meanAt),
                    Slots.segment(inputs, scaleAt), Slots.segment(inputs, gammaAt), outputs.get(0).segment(),
                    Slots.segment(outputs, dgammaAt), Slots.segment(outputs, dbetaAt), parallel);
            return;
        }
        rows.run(inputs.get(0).segment(), inputs.get(1).segment(), Slots.segment(inputs, meanAt),
                Slots.segment(inputs, scaleAt), Slots.segment(inputs, gammaAt), outputs.get(0).segment(),
                Slots.segment(outputs, dgammaAt), Slots.segment(outputs, dbetaAt), parallel);
    }

    @Override
    public String name() {
        return kind.gradOp;
    }
}
