/**
 * Instance normalization for ingot: the {@code InstanceNorm} and {@code InstanceNormGrad} ops (their creators,
 * found through {@link java.util.ServiceLoader}), the attribute / input / output convention, and a direct Java API
 * for users who do not build pipelines. Start at {@link dev.ingot.ops.norm.InstanceNorm}.
 */
package dev.ingot.ops.norm;
