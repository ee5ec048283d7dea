package dev.ingot.ops;

import dev.ingot.ops.grad.InstanceNormReference;
import dev.ingot.ops.grad.InstanceNormRule;
import dev.ingot.ops.grad.RowNormReference;
import dev.ingot.ops.grad.RowNormRule;
import dev.ingot.ops.norm.BatchNorm;
import dev.ingot.ops.norm.GroupNorm;
import dev.ingot.ops.norm.LayerNorm;
import dev.ingot.ops.norm.RmsNorm;
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
        for (String op : List.of(GroupNorm.OP_TYPE, LayerNorm.OP_TYPE, RmsNorm.OP_TYPE, BatchNorm.OP_TYPE)) {
            all.add(new RowNormRule(op));
            all.add(new RowNormReference(op));
        }
        return all;
    }
}
