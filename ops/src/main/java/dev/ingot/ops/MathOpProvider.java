package dev.ingot.ops;

import dev.ingot.ops.grad.MathGrads;
import dev.ingot.ops.grad.MathReferences;
import dev.ingot.ops.math.MathOpCreators;
import dev.ingot.runtime.OpProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * Registers the math family (the elementwise, reduce, loss and optimizer ops training needs): creators, gradient
 * rules and float64 references. Found through {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class MathOpProvider implements OpProvider {
    /** For {@link java.util.ServiceLoader}. */
    public MathOpProvider() {
    }

    @Override
    public String family() {
        return "math";
    }

    @Override
    public List<Object> registrations() {
        List<Object> all = new ArrayList<>(MathOpCreators.all());
        all.addAll(List.of(new MathGrads.Add(), new MathGrads.Sub(), new MathGrads.Mul(), new MathGrads.Square(),
                new MathGrads.MulScalar(), new MathGrads.Sum(), new MathGrads.Mean(), new MathGrads.BroadcastTo(),
                new MathGrads.MseLoss()));
        all.addAll(List.of(new MathReferences.Add(), new MathReferences.Sub(), new MathReferences.Mul(),
                new MathReferences.Square(), new MathReferences.MulScalar(), new MathReferences.Sum(),
                new MathReferences.Mean(), new MathReferences.BroadcastTo(), new MathReferences.MseLoss()));
        return all;
    }
}
