package dev.ingot.ops.norm;

/**
 * Layer normalization (PyTorch {@code F.layer_norm}, ONNX {@code LayerNormalization}): the op convention of
 * {@value #OP_TYPE} and {@value #GRAD_OP_TYPE}. Constants only; not instantiable.
 *
 * <h2>{@value #OP_TYPE}</h2>
 * x is any dense float32 NCHW (row-major) tensor; the dimensions from {@value #AXIS} on are normalized together
 * (PyTorch's {@code normalized_shape} is the trailing {@code rank - axis} dimensions). Per leading index, over the
 * M = product of the normalized dimensions:
 * <pre>
 *   mean = sum(x) / M,   var = sum((x - mean)^2) / M,   invstd = 1 / sqrt(var + eps)
 *   y    = (x - mean) * invstd * gamma[i] + beta[i]     (i: the index within the normalized dimensions)
 * </pre>
 * <ul>
 *   <li>Attributes: {@value #AXIS} (int, default -1; negative counts from the end, as in ONNX),
 *       {@value InstanceNorm#EPS} (default {@value #DEFAULT_EPS}), {@value InstanceNorm#GAMMA},
 *       {@value InstanceNorm#BETA} (booleans: whether gamma / beta of the normalized shape follow x).</li>
 *   <li>Inputs: x [, gamma] [, beta]. Outputs: y, mean and invstd of shape x.shape[:axis] ([1] when axis = 0).</li>
 * </ul>
 *
 * <h2>{@value #GRAD_OP_TYPE}</h2>
 * dx as {@link GroupNorm}'s with the row as the group; dgamma[i] and dbeta[i] summed over the leading indices.
 * Attributes: as the forward, plus {@value InstanceNorm#SAVED_STATS} (default true) and
 * {@value InstanceNorm#IN_PLACE}. Inputs: x, dy [, mean, invstd] [, gamma]. Outputs: dx [, dgamma] [, dbeta].
 */
public final class LayerNorm {
    /** Forward op type. */
    public static final String OP_TYPE = "LayerNorm";
    /** Gradient op type. */
    public static final String GRAD_OP_TYPE = "LayerNormGrad";
    /** Attribute: the first normalized dimension (int; negative counts from the end). */
    public static final String AXIS = "axis";
    /** PyTorch's default eps. */
    public static final double DEFAULT_EPS = 1e-5;

    private LayerNorm() {
    }
}
