package dev.ingot.runtime.express;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.TensorType;
import java.util.List;

/**
 * A float64 reference of one forward op type, written for clarity rather than speed, independent of the op's
 * float32 kernels: the judge {@link GradientCheck} differentiates numerically. Found by {@link ReferenceEvaluator}
 * through {@link java.util.ServiceLoader} ({@code provides dev.ingot.runtime.express.ReferenceOp with ...}).
 * Implementations are stateless and thread-safe, with a public no-argument constructor.
 */
public interface ReferenceOp {

    /**
     * The op type this is a reference of.
     *
     * @return the op type
     */
    String opType();

    /**
     * Computes the op in double.
     *
     * @param attributes  the node's attributes
     * @param inputTypes  the input types
     * @param inputs      the input values, each in logical order ({@code [N, C, spatial...]} row-major)
     * @param outputTypes the output types the op inferred
     * @return one array per output, in logical order
     */
    List<double[]> evaluate(Attributes attributes, List<TensorType> inputTypes, List<double[]> inputs,
                            List<TensorType> outputTypes);
}
