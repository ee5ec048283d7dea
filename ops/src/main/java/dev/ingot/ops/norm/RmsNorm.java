package dev.ingot.ops.norm;

/**
 * RMS normalization (PyTorch {@code F.rms_norm}): the op convention of {@value #OP_TYPE} and
 * {@value #GRAD_OP_TYPE}. Constants only; not instantiable.
 *
 * <h2>{@value #OP_TYPE}</h2>
 * As {@link LayerNorm} without the mean: over the dimensions from {@value LayerNorm#AXIS} on,
 * <pre>
 *   invrms = 1 / sqrt(sum(x^2) / M + eps),   y = x * invrms * gamma[i]
 * </pre>
 * <ul>
 *   <li>Attributes: {@value LayerNorm#AXIS} (default -1), {@value InstanceNorm#EPS} (default
 *       {@link #DEFAULT_EPS}, PyTorch's {@code torch.finfo(float32).eps}), {@value InstanceNorm#GAMMA}.</li>
 *   <li>Inputs: x [, gamma]. Outputs: y, invrms of shape x.shape[:axis] ([1] when axis = 0).</li>
 * </ul>
 *
 * <h2>{@value #GRAD_OP_TYPE}</h2>
 * <pre>
 *   dx = invrms * (g - xhat * mean(g * xhat)),  g = dy * gamma[i],  xhat = x * invrms;  dgamma[i] = sum dy * xhat
 * </pre>
 * Attributes: as the forward, plus {@value InstanceNorm#SAVED_STATS} (default true) and
 * {@value InstanceNorm#IN_PLACE}. Inputs: x, dy [, invrms] [, gamma]. Outputs: dx [, dgamma].
 */
public final class RmsNorm {
    /** Forward op type. */
    public static final String OP_TYPE = "RMSNorm";
    /** Gradient op type. */
    public static final String GRAD_OP_TYPE = "RMSNormGrad";
    /** PyTorch's default eps: the float32 machine epsilon, 2^-23. */
    public static final double DEFAULT_EPS = 0x1p-23;

    private RmsNorm() {
    }
}
