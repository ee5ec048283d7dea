package dev.ingot.ops.norm.kernel;

/**
 * Where the kernels put a work unit's partial sums in a {@code double[]} scratch array.
 *
 * <p>A unit covers {@code channels} instances (1 for a chunk of an NCHW plane, C for a block of channels-last rows).
 * Its fields are stored field-major from a base index: field {@code f} of channel {@code c} lives at
 * {@code base + f * channels + c}, so a channels-last kernel walks each field contiguously.
 */
public final class StatsLayout {
    /** The value every element was centred on (the chunk mean, or a saved mean). */
    public static final int SHIFT = 0;
    /** Sum of (x - shift). */
    public static final int SUM_X = 1;
    /** Sum of (x - shift)^2. */
    public static final int SUM_SQ = 2;
    /** Sum of dy. */
    public static final int SUM_DY = 3;
    /** Sum of dy * (x - shift). */
    public static final int SUM_DY_X = 4;
    /**
     * Sum of dy^2, written by the plane kernels only: it tells how much dx cancels (see
     * {@link PlaneKernels#gradInputFloat}).
     */
    public static final int SUM_DY_SQ = 5;
    /**
     * The variance of the rounding error of {@code SUM_DY}, as the plane kernels that add in float lanes estimate it
     * (0 where the sum is in double): it tells whether dbeta may take that sum (see {@link BackwardPass}).
     */
    public static final int SUM_DY_ERR = 6;
    /** The same for {@code SUM_DY_X}, which dgamma takes. */
    public static final int SUM_DY_X_ERR = 7;
    /** The same for {@code SUM_X}, which the forward's saved mean takes. */
    public static final int SUM_X_ERR = 8;
    /** Number of fields per channel. */
    public static final int FIELDS = 9;

    private StatsLayout() {
    }
}
