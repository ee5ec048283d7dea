package dev.ingot.ops.norm;

/**
 * Group normalization (PyTorch {@code F.group_norm}): the op convention of {@value #OP_TYPE} and
 * {@value #GRAD_OP_TYPE}. Constants only; not instantiable.
 *
 * <h2>{@value #OP_TYPE}</h2>
 * x is [N, C, *] (rank 2 to 5, NCHW or channels-last); its C channels form {@value #GROUPS} groups of C / G
 * consecutive channels. Per batch entry n and group g, over the (C / G) * spatial elements of the group:
 * <pre>
 *   mean = sum(x) / M,   var = sum((x - mean)^2) / M (biased),   invstd = 1 / sqrt(var + eps)
 *   y    = (x - mean) * invstd * gamma[c] + beta[c]
 * </pre>
 * <ul>
 *   <li>Attributes: {@value #GROUPS} (int, required, dividing C), {@value InstanceNorm#EPS} (default
 *       {@value #DEFAULT_EPS}), {@value InstanceNorm#GAMMA}, {@value InstanceNorm#BETA} (booleans, default false:
 *       whether the per-channel gamma [C] / beta [C] inputs follow x).</li>
 *   <li>Inputs: x [, gamma [C]] [, beta [C]]. Outputs: y (the type of x), mean [N, G], invstd [N, G].</li>
 *   <li>G = C is InstanceNorm: it runs InstanceNorm's kernels and gives its numbers.</li>
 * </ul>
 *
 * <h2>{@value #GRAD_OP_TYPE}</h2>
 * <pre>
 *   dx = invstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * gamma[c],  xhat = (x - mean) * invstd
 *   dgamma[c] = sum of dy * xhat over n and the channel's elements,  dbeta[c] = sum of dy
 * </pre>
 * Attributes: as the forward, plus {@value InstanceNorm#SAVED_STATS} (default true) and
 * {@value InstanceNorm#IN_PLACE} (default false: true writes dx over dy, as InstanceNormGrad does). Inputs: x, dy
 * [, mean, invstd [N, G]] [, gamma]. Outputs: dx [, dgamma] [, dbeta].
 *
 * <p>Statistics in double and centred; results bitwise the same for any thread count; bad arguments throw
 * {@link IllegalArgumentException} naming the argument.
 */
public final class GroupNorm {
    /** Forward op type. */
    public static final String OP_TYPE = "GroupNorm";
    /** Gradient op type. */
    public static final String GRAD_OP_TYPE = "GroupNormGrad";
    /** Attribute: the number of groups G (int, dividing C). */
    public static final String GROUPS = "groups";
    /** PyTorch's default eps. */
    public static final double DEFAULT_EPS = 1e-5;

    private GroupNorm() {
    }
}
