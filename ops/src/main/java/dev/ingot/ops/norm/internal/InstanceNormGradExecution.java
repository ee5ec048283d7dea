package dev.ingot.ops.norm.internal;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.ops.norm.kernel.BackwardPass;
import dev.ingot.ops.norm.kernel.Kernels;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code InstanceNormGrad} execution; the convention of attributes, inputs and outputs (and what in-place
 * asks of the pipeline) is documented on {@link InstanceNorm}. Scratch lives on the heap, sized in
 * {@link #onResize}; {@link #onExecute} allocates nothing.
 */
public final class InstanceNormGradExecution implements Execution {
    private static final Set<String> ATTRIBUTES = Set.of(InstanceNorm.EPS, InstanceNorm.SAVED_STATS,
            InstanceNorm.GAMMA, InstanceNorm.BETA, InstanceNorm.IN_PLACE);

    private final NormChecks check = new NormChecks(InstanceNorm.GRAD_OP_TYPE);
    private final double eps;
    private final boolean savedStats;
    private final boolean hasGamma;
    private final boolean hasBeta;
    private final boolean inPlace;
    private final List<String> outputNames;
    private final ExecutorParallel parallel;
    private NormGeometry geometry;
    private BackwardPass pass;

    /** @throws IllegalArgumentException for an unknown attribute or an eps that is not finite and positive */
    public InstanceNormGradExecution(Attributes attributes, CpuBackend backend) {
        check.knownAttributes(attributes, ATTRIBUTES);
        this.eps = check.eps(attributes, InstanceNorm.DEFAULT_EPS);
        this.savedStats = attributes.getBoolean(InstanceNorm.SAVED_STATS, true);
        this.hasGamma = attributes.getBoolean(InstanceNorm.GAMMA, false);
        this.hasBeta = attributes.getBoolean(InstanceNorm.BETA, false);
        this.inPlace = attributes.getBoolean(InstanceNorm.IN_PLACE, false);
        List<String> names = new ArrayList<>(List.of("dx"));
        if (hasGamma) {
            names.add("dgamma");
        }
        if (hasBeta) {
            names.add("dbeta");
        }
        this.outputNames = List.copyOf(names);
        this.parallel = new ExecutorParallel(backend.executor());
    }

    private int gammaIndex() {
        return savedStats ? 4 : 2;
    }

    @Override
    public List<TensorType> outputTypes(List<TensorType> inputs) {
        check.inputCount(inputs, 2 + (savedStats ? 2 : 0) + (hasGamma ? 1 : 0),
                "x, dy" + (savedStats ? ", mean, invstd" : "") + (hasGamma ? ", gamma" : ""));
        TensorType x = inputs.get(0);
        check.data("input x", x);
        check.sameAsX("input dy", inputs.get(1), x);
        if (savedStats) {
            check.perInstance("input mean", inputs.get(2), x);
            check.perInstance("input invstd", inputs.get(3), x);
        }
        if (hasGamma) {
            check.perChannel("input gamma", inputs.get(gammaIndex()), x);
        }
        List<TensorType> out = new ArrayList<>(3);
        out.add(x);
        TensorType perChannel = NormChecks.float32(Shape.of(x.shape().dim(1)));
        if (hasGamma) {
            out.add(perChannel);
        }
        if (hasBeta) {
            out.add(perChannel);
        }
        return List.copyOf(out);
    }

    @Override
    public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        List<TensorType> types = new ArrayList<>(inputs.size());
        for (Tensor t : inputs) {
            types.add(t.type());
        }
        check.outputs(outputs, outputTypes(types), outputNames);
        if (inPlace) {
            if (outputs.get(0) != inputs.get(1)) {
                throw check.fail("output dx", "the dy tensor itself (attribute inPlace=true)", "another tensor");
            }
            if (inputs.get(1).isReadOnly()) {
                throw check.fail("input dy", "a writable tensor (attribute inPlace=true)", "a read-only tensor");
            }
        }
        NormGeometry wanted = check.geometry(types.get(0));
        if (!wanted.equals(geometry)) {
            pass = new BackwardPass(wanted, eps, Kernels.selected());
            geometry = wanted;
        }
    }

    @Override
    public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
        MemorySegment mean = savedStats ? inputs.get(2).segment() : null;
        MemorySegment invstd = savedStats ? inputs.get(3).segment() : null;
        MemorySegment gamma = hasGamma ? inputs.get(gammaIndex()).segment() : null;
        MemorySegment dgamma = hasGamma ? outputs.get(1).segment() : null;
        MemorySegment dbeta = hasBeta ? outputs.get(hasGamma ? 2 : 1).segment() : null;
        pass.run(inputs.get(0).segment(), inputs.get(1).segment(), mean, invstd, gamma,
                outputs.get(0).segment(), dgamma, dbeta, parallel);
    }

    @Override
    public String name() {
        return InstanceNorm.GRAD_OP_TYPE;
    }
}
