package dev.ingot.ops.norm;

import dev.ingot.ops.norm.internal.InstanceNormExecution;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpCreator;

/**
 * Creates {@value InstanceNorm#OP_TYPE} executions; registered through {@link java.util.ServiceLoader}. The
 * attributes, inputs and outputs are described on {@link InstanceNorm}. Stateless and thread-safe.
 */
public final class InstanceNormCreator implements OpCreator {
    /** For {@link java.util.ServiceLoader}. */
    public InstanceNormCreator() {
    }

    @Override
    public String opType() {
        return InstanceNorm.OP_TYPE;
    }

    /** @throws IllegalArgumentException for an unknown attribute or an eps that is not finite and positive */
    @Override
    public Execution create(Attributes attributes, CpuBackend backend) {
        return new InstanceNormExecution(attributes, backend);
    }
}
