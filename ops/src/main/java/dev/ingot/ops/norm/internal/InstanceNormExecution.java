package dev.ingot.ops.norm.internal;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.ops.norm.kernel.ForwardPass;
import dev.ingot.ops.norm.kernel.Kernels;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code InstanceNorm} execution; the convention of attributes, inputs and outputs is documented on
 * {@link InstanceNorm}. Scratch (a few doubles per unit and per instance) lives on the heap, sized in
 * {@link #onResize}; {@link #onExecute} allocates nothing.
 */
public final class InstanceNormExecution implements Execution {
    private static final Set<String> ATTRIBUTES = Set.of(InstanceNorm.EPS, InstanceNorm.GAMMA, InstanceNorm.BETA);
    private static final List<String> OUTPUTS = List.of("y", "mean", "invstd");

    private final NormChecks check = new NormChecks(InstanceNorm.OP_TYPE);
    private final double eps;
    private final boolean hasGamma;
    private final boolean hasBeta;
    private final ExecutorParallel parallel;
    private NormGeometry geometry;
    private ForwardPass pass;

    /** @throws IllegalArgumentException for an unknown attribute or an eps that is not finite and positive */
    public InstanceNormExecution(Attributes attributes, CpuBackend backend) {
        check.knownAttributes(attributes, ATTRIBUTES);
        this.eps = check.eps(attributes, InstanceNorm.DEFAULT_EPS);
        this.hasGamma = attributes.getBoolean(InstanceNorm.GAMMA, false);
        this.hasBeta = attributes.getBoolean(InstanceNorm.BETA, false);
        this.parallel = new ExecutorParallel(backend.executor());
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        check.inputCount(inputs, 1 + (hasGamma ? 1 : 0) + (hasBeta ? 1 : 0), inputNames());
        TensorType x = inputs.get(0);
        check.data("input x", x);
        int next = 1;
        if (hasGamma) {
            check.perChannel("input gamma", inputs.get(next++), x);
        }
        if (hasBeta) {
            check.perChannel("input beta", inputs.get(next), x);
        }
        TensorType stats = NormChecks.float32(NormChecks.statsShape(x));
        return List.of(x, stats, stats);
    }

    private String inputNames() {
        return "x" + (hasGamma ? ", gamma" : "") + (hasBeta ? ", beta" : "");
    }

    @Override
    public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        List<TensorType> types = new ArrayList<>(inputs.size());
        for (Tensor t : inputs) {
            types.add(t.type());
        }
        check.outputs(outputs, outputTypes(types), OUTPUTS);
        TensorType x = types.get(0);
        NormGeometry wanted = check.geometry(x);
        if (!wanted.equals(geometry)) {
            pass = new ForwardPass(wanted, eps, Kernels.selected());
            geometry = wanted;
        }
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        MemorySegment gamma = hasGamma ? inputs.get(1).segment() : null;
        MemorySegment beta = hasBeta ? inputs.get(hasGamma ? 2 : 1).segment() : null;
        pass.run(inputs.get(0).segment(), gamma, beta,
                outputs.get(0).segment(), outputs.get(1).segment(), outputs.get(2).segment(), parallel);
    }

    @Override
    public String name() {
        return InstanceNorm.OP_TYPE;
    }
}
