package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Kernels over one contiguous run of float32 elements: a whole NCHW plane or a fixed chunk of one.
 *
 * <p>Offsets and counts are in elements, not bytes. Segments hold native-order float32 values. Sums end in double
 * (the vector kernels add short blocks in float lanes first); each method's summation order depends only on its arguments, so results are reproducible. Partial
 * sums go to a {@code double[]} laid out as {@link StatsLayout} with one channel per unit. Implementations are
 * stateless and thread-safe; they allocate nothing.
 */
public sealed interface PlaneKernels permits ScalarPlaneKernels, VectorPlaneKernels {

    /** Returns the sum of {@code x[offset, offset + count)}. */
    double sum(MemorySegment x, long offset, long count);

    /**
     * Reads {@code shift = stats[base + SHIFT]} and writes {@code stats[base + SUM_X] = sum(x - shift)} and
     * {@code stats[base + SUM_SQ] = sum((x - shift)^2)}. An implementation may round the shift (to float) first;
     * it then writes the shift it used back to {@code SHIFT}. {@code SUM_X_ERR} gets the estimated variance of
     * {@code SUM_X}'s rounding error: 0 where it is added in double.
     */
    void centredSums(MemorySegment x, long offset, long count, double[] stats, int base);

    /**
     * {@link #centredSums} with every sum in double and the shift used as it is: the forward's second pass, for
     * units whose first guess at the mean was far off (see {@link ForwardPass}).
     */
    void centredSumsInDouble(MemorySegment x, long offset, long count, double[] stats, int base);

    /**
     * Reads {@code shift = stats[base + SHIFT]} and writes the five sums {@code SUM_X}, {@code SUM_SQ},
     * {@code SUM_DY}, {@code SUM_DY_X} (sum of dy * (x - shift)) and {@code SUM_DY_SQ}; the shift may be rounded
     * as in {@link #centredSums}. {@code SUM_X_ERR}, {@code SUM_DY_ERR} and {@code SUM_DY_X_ERR} get the estimated
     * variances of the rounding errors of {@code SUM_X}, {@code SUM_DY} and {@code SUM_DY_X}: 0 where they are
     * added in double.
     */
    void gradSums(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                  double[] stats, int base);

    /**
     * Whether {@link #gradSums} over {@code count} elements adds in float lanes, so that its sums are good to
     * about 1e-7 of the sum of their absolute terms rather than to double precision.
     */
    boolean sumsInFloat(long count);

    /**
     * {@link #gradSums} with every sum in double, centred on the shift in {@code SHIFT} as it is (already rounded
     * by a previous call): for instances whose sums cancel too much for float lanes.
     */
    void gradSumsInDouble(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, long count,
                          double[] stats, int base);

    /**
     * Writes {@code y = (x - mean) * scale + bias} in float arithmetic, centred on the float rounding of
     * {@code mean} (exact for x near the mean, so a mean far above the spread costs nothing) with that rounding
     * folded into the float bias: a few float ulps of the larger of the two terms while every float formed is
     * normal and finite, which callers check first (see {@link ForwardPass}). Every implementation does the same
     * float operations, so all give bitwise the same output.
     */
    void normalize(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long count,
                   double mean, double scale, double bias);

    /**
     * Writes {@code dx = a * (dy - meanDy) + b * (x - meanX)}, computed in double and rounded once to float.
     * {@code dx} may be the same memory as {@code dy} (element i is read before it is written).
     */
    void gradInput(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx, long dxOffset,
                   long count, double meanX, double meanDy, double a, double b);

    /**
     * {@link #gradInput} in float arithmetic, centred on the float roundings of the means with their rounding
     * folded into one float constant. Its error is a few float ulps of the two terms {@code a * (dy - meanDy)} and
     * {@code b * (x - meanX)}, not of dx, while every float formed is normal and finite: callers use it only for
     * instances where dx does not cancel much and the coefficients and terms stay in float's range (see
     * {@link BackwardPass}). Bitwise the same in every implementation; {@code dx} may be the memory of {@code dy}.
     */
    void gradInputFloat(MemorySegment x, long xOffset, MemorySegment dy, long dyOffset, MemorySegment dx,
                        long dxOffset, long count, double meanX, double meanDy, double a, double b);
}
