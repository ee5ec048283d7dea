package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Kernels of the row norms over one contiguous run of float32 elements, everything in double: sums are
 * accumulated ({@code +=}) into {@code acc[at ...]}, so the runs of one row add up; writes round once to float.
 * Offsets and counts are in elements. A parameter segment of null means 1 (gamma) or 0 (beta). Each method's order
 * of operations depends only on its arguments, so results do not depend on which thread calls it. Stateless,
 * thread-safe, allocation-free.
 */
public sealed interface RunKernels permits ScalarRunKernels, VectorRunKernels {

    /** {@code acc[at] += sum(x - shift)}, {@code acc[at + 1] += sum((x - shift)^2)}. */
    void sums(MemorySegment x, long offset, long count, double shift, double[] acc, int at);

    /** Returns {@code sum(x^2)}. */
    double sumSquares(MemorySegment x, long offset, long count);

    /**
     * With {@code d = x - shift} and {@code g = dy * gamma[gammaOffset + j]}: {@code acc[at .. at + 3] +=}
     * sum(d), sum(d^2), sum(g), sum(g * d).
     */
    void gradSums(MemorySegment x, MemorySegment dy, long offset, long count, double shift, MemorySegment gamma,
                  long gammaOffset, double[] acc, int at);

    /** {@code y = (x - mean) * scale + bias} with per-run constants. {@code y} may be the memory of x. */
    void normalize(MemorySegment x, MemorySegment y, long offset, long count, double mean, double scale,
                   double bias);

    /**
     * {@code y = (x - mean) * invstd * gamma[p] + beta[p]}, {@code p = paramOffset + j}. {@code y} may be the
     * memory of x.
     */
    void normalizeEach(MemorySegment x, MemorySegment y, long offset, long count, double mean, double invstd,
                       MemorySegment gamma, MemorySegment beta, long paramOffset);

    /**
     * {@code dx = invstd * (gamma * dy - meanG - xhat * meanGxhat)}, {@code xhat = (x - mean) * invstd}, with a
     * per-run gamma. {@code dx} may be the memory of dy.
     */
    void gradInput(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count, double mean,
                   double invstd, double gamma, double meanG, double meanGxhat);

    /**
     * As {@link #gradInput} with {@code gamma[p]} per element, and the parameter partials
     * {@code dgamma[at + j] += dy * xhat}, {@code dbeta[at + j] += dy}. {@code dx} may be the memory of dy.
     */
    void gradInputEach(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count, double mean,
                       double invstd, MemorySegment gamma, long paramOffset, double meanG, double meanGxhat,
                       double[] dgamma, double[] dbeta, int at);
}
