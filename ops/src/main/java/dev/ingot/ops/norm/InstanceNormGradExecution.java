package dev.ingot.ops.norm;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.ops.internal.Slots;
import dev.ingot.ops.norm.kernel.BackwardPass;
import dev.ingot.ops.norm.kernel.Kernels;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The {@code InstanceNormGrad} execution; the convention of attributes, inputs and outputs (and what in-place
 * asks of the pipeline) is documented on {@link InstanceNorm}. Scratch lives on the heap, sized in
 * {@link #onResize}; {@link #onExecute} allocates nothing.
 */
final class InstanceNormGradExecution implements Execution {
    private static final Set<String> ATTRIBUTES = Set.of(InstanceNorm.EPS, InstanceNorm.SAVED_STATS,
            InstanceNorm.GAMMA, InstanceNorm.BETA, InstanceNorm.IN_PLACE);

    private final NormChecks check = new NormChecks(InstanceNorm.GRAD_OP_TYPE);
    private final double eps;
    private final Slots in;
    private final Slots out;
    private final int meanAt;
    private final int invstdAt;
    private final int gammaAt;
    private final int dgammaAt;
    private final int dbetaAt;
    private final boolean inPlace;
    private final ExecutorParallel parallel;
    private NormGeometry geometry;
    private BackwardPass pass;

    /** @throws IllegalArgumentException for an unknown attribute or an eps that is not finite and positive */
    InstanceNormGradExecution(Attributes attributes, CpuBackend backend) {
        check.knownAttributes(attributes, ATTRIBUTES);
        this.eps = check.eps(attributes, InstanceNorm.DEFAULT_EPS);
        boolean savedStats = attributes.getBoolean(InstanceNorm.SAVED_STATS, true);
        boolean hasGamma = attributes.getBoolean(InstanceNorm.GAMMA, false);
        this.in = Slots.of("x", "dy").optional("mean", savedStats).optional("invstd", savedStats)
                .optional("gamma", hasGamma);
        this.out = Slots.of("dx").optional("dgamma", hasGamma)
                .optional("dbeta", attributes.getBoolean(InstanceNorm.BETA, false));
        this.meanAt = in.index("mean");
        this.invstdAt = in.index("invstd");
        this.gammaAt = in.index("gamma");
        this.dgammaAt = out.index("dgamma");
        this.dbetaAt = out.index("dbeta");
        this.inPlace = attributes.getBoolean(InstanceNorm.IN_PLACE, false);
        this.parallel = new ExecutorParallel(backend.executor());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        check.inputCount(inputs, in);
        TensorType x = inputs.get(0);
        check.data("input x", x);
        check.geometry(x, BackwardPass::scratchBytes); // the heap scratch is refused here, before any allocation
        check.sameAsX("input dy", inputs.get(1), x);
        if (meanAt >= 0) {
            check.perInstance("input mean", inputs.get(meanAt), x);
            check.perInstance("input invstd", inputs.get(invstdAt), x);
        }
        if (gammaAt >= 0) {
            check.perChannel("input gamma", inputs.get(gammaAt), x);
        }
        TensorType perChannel = NormChecks.float32Nchw(Shape.of(x.shape().dim(1)));
        TensorType[] types = new TensorType[out.count()];
        Arrays.fill(types, perChannel);
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
        NormGeometry wanted = check.geometry(types.get(0), BackwardPass::scratchBytes);
        if (!wanted.equals(geometry)) {
            pass = null; // the old scratch is garbage before the new one is allocated
            geometry = null;
            pass = new BackwardPass(wanted, eps, Kernels.selected());
            geometry = wanted;
        }
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        pass.run(inputs.get(0).segment(), inputs.get(1).segment(), Slots.segment(inputs, meanAt),
                Slots.segment(inputs, invstdAt), Slots.segment(inputs, gammaAt), outputs.get(0).segment(),
                Slots.segment(outputs, dgammaAt), Slots.segment(outputs, dbetaAt), parallel);
    }

    @Override
    public String name() {
        return InstanceNorm.GRAD_OP_TYPE;
    }
}
