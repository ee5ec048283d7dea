package dev.ingot.ops.norm;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.ops.internal.Slots;
import dev.ingot.ops.norm.kernel.ForwardPass;
import dev.ingot.ops.norm.kernel.Kernels;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.List;
import java.util.Set;

/**
 * The {@code InstanceNorm} execution; the convention of attributes, inputs and outputs is documented on
 * {@link InstanceNorm}. Scratch (a few doubles per unit and per instance) lives on the heap, sized in
 * {@link #onResize}; {@link #onExecute} allocates nothing.
 */
final class InstanceNormExecution implements Execution {
    private static final Set<String> ATTRIBUTES = Set.of(InstanceNorm.EPS, InstanceNorm.GAMMA, InstanceNorm.BETA);
    private static final List<String> OUTPUTS = List.of("y", "mean", "invstd");

    private final NormChecks check = new NormChecks(InstanceNorm.OP_TYPE);
    private final double eps;
    private final Slots in;
    private final int gammaAt;
    private final int betaAt;
    private final ExecutorParallel parallel;
    private NormGeometry geometry;
    private ForwardPass pass;

    /** @throws IllegalArgumentException for an unknown attribute or an eps that is not finite and positive */
    InstanceNormExecution(Attributes attributes, CpuBackend backend) {
        check.knownAttributes(attributes, ATTRIBUTES);
        this.eps = check.eps(attributes, InstanceNorm.DEFAULT_EPS);
        this.in = Slots.of("x").optional("gamma", attributes.getBoolean(InstanceNorm.GAMMA, false))
                .optional("beta", attributes.getBoolean(InstanceNorm.BETA, false));
        this.gammaAt = in.index("gamma");
        this.betaAt = in.index("beta");
        this.parallel = new ExecutorParallel(backend.executor());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        check.inputCount(inputs, in);
        TensorType x = inputs.get(0);
        check.data("input x", x);
        check.geometry(x, ForwardPass::scratchBytes); // the heap scratch is refused here, before any allocation
        if (gammaAt >= 0) {
            check.perChannel("input gamma", inputs.get(gammaAt), x);
        }
        if (betaAt >= 0) {
            check.perChannel("input beta", inputs.get(betaAt), x);
        }
        TensorType stats = NormChecks.float32Nchw(NormChecks.statsShape(x));
        return List.of(x, stats, stats);
    }

    @Override
    public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        List<TensorType> types = OpChecks.types(inputs);
        check.outputs(outputs, outputTypes(types), OUTPUTS);
        TensorType x = types.get(0);
        NormGeometry wanted = check.geometry(x, ForwardPass::scratchBytes);
        if (!wanted.equals(geometry)) {
            pass = null; // the old scratch is garbage before the new one is allocated
            geometry = null;
            pass = new ForwardPass(wanted, eps, Kernels.selected());
            geometry = wanted;
        }
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        pass.run(inputs.get(0).segment(), Slots.segment(inputs, gammaAt), Slots.segment(inputs, betaAt),
                outputs.get(0).segment(), outputs.get(1).segment(), outputs.get(2).segment(), parallel);
    }

    @Override
    public String name() {
        return InstanceNorm.OP_TYPE;
    }
}
