package dev.ingot.ops;

import dev.ingot.ops.grad.InstanceNormReference;
import dev.ingot.ops.grad.InstanceNormRule;
import dev.ingot.ops.norm.NormOpCreators;
import dev.ingot.runtime.OpProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * Registers the normalization family: the creators of its forward and gradient ops, the gradient rules and the
 * float64 references. Found through {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class NormOpProvider implements OpProvider {
    /** For {@link java.util.ServiceLoader}. */
    public NormOpProvider() {
    }

    @Override
    public String family() {
        return "normalization";
    }

    @Override
    public List<Object> registrations() {
        List<Object> all = new ArrayList<>(NormOpCreators.all());
        all.add(new InstanceNormRule());
        all.add(new InstanceNormReference());
        return all;
    }
}
