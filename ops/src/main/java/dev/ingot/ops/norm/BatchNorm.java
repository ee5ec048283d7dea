package dev.ingot.ops.norm;

/**
 * Batch normalization (PyTorch {@code F.batch_norm}, ONNX {@code BatchNormalization}): the op convention of
 * {@value #OP_TYPE} and {@value #GRAD_OP_TYPE}. Constants only; not instantiable.
 *
 * <h2>{@value #OP_TYPE}</h2>
 * x is [N, C, *] (rank 2 to 5, NCHW or channels-last). Per channel c, over the N * spatial elements M:
 * <ul>
 *   <li><b>Training</b> ({@value #TRAINING} = true, the default): mean and biased variance of the batch,
 *       {@code y = (x - mean) * invstd * gamma[c] + beta[c]}; outputs y, mean [C], invstd [C] and, with
 *       {@value #RUNNING_STATS}, the updated running statistics {@code runningMean' = (1 - momentum) * runningMean +
 *       momentum * mean} and {@code runningVar' = (1 - momentum) * runningVar + momentum * var * M / (M - 1)} (the
 *       unbiased variance, as PyTorch; M must then be at least 2).</li>
 *   <li><b>Inference</b> ({@value #TRAINING} = false): {@code y = (x - runningMean) / sqrt(runningVar + eps) *
 *       gamma + beta}; output y only.</li>
 *   <li>Attributes: {@value #TRAINING}, {@value #MOMENTUM} (default 0.1), {@value InstanceNorm#EPS} (default
 *       {@value #DEFAULT_EPS}), {@value InstanceNorm#GAMMA}, {@value InstanceNorm#BETA}, {@value #RUNNING_STATS}
 *       (boolean, default false; always true in inference).</li>
 *   <li>Inputs: x [, gamma [C]] [, beta [C]] [, runningMean [C], runningVar [C]].</li>
 * </ul>
 *
 * <h2>{@value #GRAD_OP_TYPE}</h2>
 * Training: dx as {@link GroupNorm}'s with the channel as the group, dgamma[c] = sum dy * xhat, dbeta[c] = sum dy.
 * Inference: dx = dy * gamma / sqrt(runningVar + eps). Attributes: {@value #TRAINING}, {@value InstanceNorm#EPS},
 * {@value InstanceNorm#GAMMA}, {@value InstanceNorm#BETA}, {@value InstanceNorm#SAVED_STATS} (training only),
 * {@value InstanceNorm#IN_PLACE}. Inputs: x, dy, then mean, invstd [C] (training, saved) or runningMean,
 * runningVar [C] (inference) [, gamma]. Outputs: dx [, dgamma] [, dbeta].
 */
public final class BatchNorm {
    /** Forward op type. */
    public static final String OP_TYPE = "BatchNorm";
    /** Gradient op type. */
    public static final String GRAD_OP_TYPE = "BatchNormGrad";
    /** Attribute: training mode (boolean, default true). */
    public static final String TRAINING = "training";
    /** Attribute: momentum of the running statistics (double in [0, 1], default 0.1). */
    public static final String MOMENTUM = "momentum";
    /** Attribute: whether running mean and variance inputs are given (and, in training, updated). */
    public static final String RUNNING_STATS = "runningStats";
    /** PyTorch's default eps. */
    public static final double DEFAULT_EPS = 1e-5;
    /** PyTorch's default momentum. */
    public static final double DEFAULT_MOMENTUM = 0.1;

    private BatchNorm() {
    }
}
