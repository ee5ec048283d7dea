package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Kernels of the row norms over one contiguous run of float32 elements. Sums are accumulated ({@code +=}) into
 * {@code acc[at ...]}, so the runs of one row add up. Offsets and counts are in elements. Each method's order of
 * operations depends only on its arguments, so results do not depend on which thread calls it. Stateless,
 * thread-safe, allocation-free.
 *
 * <p><b>The fast kernels</b> ({@code fast...}): sums may add in float lanes over short blocks (see
 * {@link #sumsInFloat}), so they are good to about 1e-7 of the sum of their absolute terms; the passes check each
 * row's sums and fall back to the exact kernels where that is not enough. Writes are float arithmetic, the same
 * operations in every implementation (no fused multiply-adds), so all give bitwise the same output; callers use
 * them only where every float formed stays normal and finite and dx does not cancel much. Parameters come as float
 * arrays (1 and 0 where absent).
 *
 * <p><b>The exact kernels</b> (the others): everything in double, writes rounded once to float. A parameter
 * segment of null means 1 (gamma) or 0 (beta).
 */
public sealed interface RunKernels permits ScalarRunKernels, VectorRunKernels {

    /** Whether the fast sums add in float lanes (the vector set) rather than in double. */
    boolean sumsInFloat();

    /**
     * With {@code d = x - shift}: {@code acc[at] += sum(d)}, {@code acc[at + 1] += sum(d^2)}.
     */
    void fastSums(MemorySegment x, long offset, long count, float shift, double[] acc, int at);

    /**
     * With {@code d = x - shift} and {@code g = dy * gamma[gammaAt + j]} ({@code g = dy} when gamma is null):
     * {@code acc[at .. at + 4] +=} sum(d), sum(d^2), sum(g), sum(g * d), sum(g^2).
     */
    void fastGradSums(MemorySegment x, MemorySegment dy, long offset, long count, float shift, float[] gamma,
                      int gammaAt, double[] acc, int at);

    /**
     * Floats per sum a caller keeps for {@link #fastSumsInto} and {@link #fastGradSumsInto}: the lanes of one
     * vector, or 0 where the sums add in double.
     */
    int lanesPerSum();

    /**
     * {@link #fastSums} of a short run whose full vectors add into float lane accumulators kept by the caller,
     * {@code lanes[laneAt ..]} (one vector per sum), and whose tail adds into {@code acc[at ..]}: many short runs
     * of one row then cost one lane reduction ({@link #flushLanes}) rather than one each. The caller flushes before
     * any lane holds more than about 16 terms.
     */
    void fastSumsInto(MemorySegment x, long offset, long count, float shift, float[] lanes, int laneAt, double[] acc,
                      int at);

    /** {@link #fastGradSums} without gamma, into lane accumulators as {@link #fastSumsInto}. */
    void fastGradSumsInto(MemorySegment x, MemorySegment dy, long offset, long count, float shift, float[] lanes,
                          int laneAt, double[] acc, int at);

    /**
     * Adds the lanes of each of the {@code sums} accumulators at {@code lanes[laneAt ..]}, in a fixed order, to
     * {@code acc[at + i]}, and zeroes them.
     */
    void flushLanes(float[] lanes, int laneAt, int sums, double[] acc, int at);

    /**
     * {@code to[at + j] += from[at + j]} (widened to double) and {@code from[at + j] = 0} for j below
     * {@code count}: the fast parameter partials moved into the double ones. Elementwise, so every implementation
     * gives bitwise the same result.
     */
    void addAndClear(float[] from, double[] to, int at, int count);

    /**
     * {@code y = ((x - mean) * invstd - corr) * gamma[p + j] + beta[p + j]} in float; {@code y} may be the memory
     * of x. {@code corr} is the float mean's rounding times invstd.
     */
    void fastNormalize(MemorySegment x, MemorySegment y, long offset, long count, float mean, float invstd,
                       float corr, float[] gamma, float[] beta, int p);

    /** {@link #fastNormalize} with one gamma and beta for the whole run. */
    void fastNormalizeRun(MemorySegment x, MemorySegment y, long offset, long count, float mean, float invstd,
                          float corr, float gamma, float beta);

    /**
     * In float, with {@code xhat = (x - mean) * invstd - corr}:
     * {@code dx = (dy * gamma - (xhat * meanGxhat + meanG)) * invstd} for one gamma per run. {@code dx} may be the
     * memory of dy.
     */
    void fastGradInputRun(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count, float mean,
                          float invstd, float corr, float meanG, float meanGxhat, float gamma);

    /**
     * {@link #fastGradInputRun} with {@code gamma[p + j]} per element, and the float parameter partials
     * {@code dgamma[at + j] += dy * xhat}, {@code dbeta[at + j] += dy}. {@code dx} may be the memory of dy.
     */
    void fastGradInput(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count, float mean,
                       float invstd, float corr, float meanG, float meanGxhat, float[] gamma, int p,
                       float[] dgamma, float[] dbeta, int at);

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
