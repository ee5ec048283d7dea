package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Instance-norm forward over raw segments: y = (x - mean) * invstd * gamma + beta per (n, c) instance, plus the saved
 * mean and invstd = 1 / sqrt(var + eps) (biased variance).
 *
 * <p>Planes that fit in one unit are done by one task each, start to finish (sums, then the write while the plane is
 * still in cache). Larger planes run in three phases: per-unit sums, a per-instance merge in unit order, and the
 * per-unit write. Work is spread over the {@link Parallel} given to {@link #run}; the output is bitwise the same
 * for any thread count.
 *
 * <p>y, mean and invstd are within 1e-6 normwise of their exact values wherever those are finite in float32 (the
 * smallest subnormal aside, where float32 itself cannot do better), and the correctly signed infinity where they
 * overflow (invstd of a constant or subnormal plane with a tiny eps). y is written in float arithmetic where the
 * scale and the spread keep every float it forms normal and finite, else in double (see
 * floatKeepsPrecision). The vector kernels sum in float lanes, good to about 1e-7 of the size of the terms
 * x - shift: enough for y and invstd, but a mean far below the spread (by chance, when the instances are few) can
 * need more. Their sums estimate their own rounding error ({@code ErrorModel}), and after the pass an instance whose
 * mean's error could reach 8e-7 of the largest |mean| is summed again in double. That needs x as it was: where y is
 * written over x, the saved mean keeps the float-lane sums.
 *
 * <p>A pass owns its scratch (sized at construction, for one geometry) and is not thread-safe: one {@code run} at a
 * time. {@code run} allocates nothing.
 */
public final class ForwardPass extends UnitSchedule {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final double eps;
    private final PlaneKernels plane;
    private final RowKernels rows;
    private final double[] stats;
    /** Per instance i, mean, variance, scale and bias at {@code coef[i * FIELDS + ...]} (see {@link BackwardPass}). */
    private final double[] coef;
    /** Channels-last: mean, scale and bias again, one array per field, as the row kernels read them. */
    private final double[] rowMean;
    private final double[] rowScale;
    private final double[] rowBias;
    /** Per NCHW instance, the estimated variance of its mean's rounding error (0 where summed in double). */
    private final double[] errMean;
    private final Parallel.Task resumTask = this::resumMeans;
    /** The largest |mean| over the instances, less than which a mean's error must stay (see {@link #resumMeans}). */
    private double meanLimit;

    /**
     * Elements at the start of a unit whose mean serves as the first centring shift. When the unit's mean turns out
     * to be within half a standard deviation of it ({@code (sum / n)^2 <= var / 4}, i.e. {@code sum^2 <= n * sumSq /
     * 5}), the one pass is as accurate as centring on the mean (the squares grow by at most a quarter); otherwise the
     * unit is summed again, in double, centred on its mean.
     */
    private static final long PROBE_ELEMENTS = 64;
    private static final double FAR_FROM_MEAN = 0.2;

    /** The part of the largest |mean| a saved mean's rounding error may reach (see {@link #resumMeans}). */
    private static final double MEAN_TOLERANCE = 8e-7;
    /** Instances per task when means are summed again: most are skipped at a glance. */
    private static final int RESUM_GRAIN = 256;

    private static final int MEAN = 0;
    private static final int VAR = 1;
    private static final int SCALE = 2;
    private static final int BIAS = 3;
    private static final int FIELDS = 4;

    private MemorySegment x;
    private MemorySegment gamma;
    private MemorySegment beta;
    private MemorySegment y;
    private MemorySegment meanOut;
    private MemorySegment invstdOut;

    /**
     * Heap bytes a forward pass over {@code geo} allocates as scratch (see the constructor), known before any is.
     *
     * @param geo the problem shape and its cut into units
     * @return the bytes
     */
    public static long scratchBytes(NormGeometry geo) {
        return geo.scratchBytes(FIELDS + (geo.channelsLast() ? 0 : 1), 3);
    }

    /**
     * @param geo     the problem shape and its cut into units
     * @param eps     added to the variance; positive and finite (checked by the op)
     * @param kernels the kernels to use (see {@link Kernels})
     */
    public ForwardPass(NormGeometry geo, double eps, KernelSet kernels) {
        this(geo, eps, kernels, kernels.caches());
    }

    /**
     * As {@link #ForwardPass(NormGeometry, double, KernelSet)}, with planes larger than a unit run in waves fitted to
     * {@code caches}.
     */
    public ForwardPass(NormGeometry geo, double eps, KernelSet kernels, CacheSizes caches) {
        super(geo, 1, caches);
        this.eps = eps;
        this.plane = kernels.plane();
        this.rows = kernels.rows();
        this.stats = new double[geo.statsLength()];
        int n = geo.instances();
        this.coef = new double[n * FIELDS]; // n <= NormGeometry.MAX_INSTANCES keeps this in range
        int rowsLength = geo.channelsLast() ? n : 0;
        this.rowMean = new double[rowsLength];
        this.rowScale = new double[rowsLength];
        this.rowBias = new double[rowsLength];
        this.errMean = new double[geo.channelsLast() ? 0 : n];
    }

    /**
     * Computes y, mean and invstd. {@code gamma} and {@code beta} may be null (then 1 and 0). Segments hold dense
     * float32 values in the geometry's layout; mean and invstd are [N, C]. {@code y} may be the memory of {@code x}.
     */
    public void run(MemorySegment x, MemorySegment gamma, MemorySegment beta,
                    MemorySegment y, MemorySegment meanOut, MemorySegment invstdOut, Parallel parallel) {
        this.x = x;
        this.gamma = gamma;
        this.beta = beta;
        this.y = y;
        this.meanOut = meanOut;
        this.invstdOut = invstdOut;
        try {
            schedule(parallel);
            if (!geo.channelsLast() && plane.sumsInFloat(geo.unitSize(0)) && !BackwardPass.sameMemory(x, y)) {
                double largest = 0, largestErr = 0;
                for (int i = 0; i < geo.instances(); i++) {
                    // a mean spoiled by a NaN or an infinity does not count, and is left as it is
                    largest = BackwardPass.largestFinite(largest, coef[i * FIELDS + MEAN]);
                    if (Double.isFinite(coef[i * FIELDS + MEAN])) {
                        largestErr = Math.max(largestErr, errMean[i]);
                    }
                }
                meanLimit = MEAN_TOLERANCE * largest / BackwardPass.ERROR_SIGMAS;
                if (largestErr > meanLimit * meanLimit) {
                    parallel.forRange(geo.instances(), RESUM_GRAIN, resumTask);
                }
            }
        } finally {
            this.x = this.gamma = this.beta = this.y = this.meanOut = this.invstdOut = null;
        }
    }

    /**
     * Sums of a unit centred on the mean of its first elements, in one read; again, from cache and in double,
     * centred on the unit's mean when that guess was too far off (see {@link #PROBE_ELEMENTS}) or when x - shift
     * may have lost bits of the shift (see {@link #exactDifferences}).
     */
    @Override
    void unitSums(int g, int k) {
        long start = geo.unitStart(g, k);
        long size = geo.unitSize(k);
        int base = Moments.statsBase(unitsPerGroup, geo.unitChannels(), g, k);
        if (geo.channelsLast()) {
            rows.means(x, start, size, geo.channels(), stats, base);
            rows.centredSums(x, start, size, geo.channels(), stats, base);
        } else {
            long probe = Math.min(size, PROBE_ELEMENTS);
            stats[base + StatsLayout.SHIFT] = roundToBits(plane.sum(x, start, probe) / probe, PROBE_SHIFT_BITS);
            plane.centredSums(x, start, size, stats, base);
            double sum = stats[base + StatsLayout.SUM_X];
            double sumSq = stats[base + StatsLayout.SUM_SQ];
            if (!(sum * sum <= FAR_FROM_MEAN * size * sumSq)
                    || !exactDifferences((float) stats[base + StatsLayout.SHIFT], sumSq)) {
                double mean = stats[base + StatsLayout.SHIFT] + sum / size;
                double spread = Math.sqrt(Math.max(sumSq - sum * (sum / size), 0) / size);
                stats[base + StatsLayout.SHIFT] = onGrid(mean, spread);
                // in double: where the guess was far off, the mean may well be far below the spread (a ramp
                // around a small mean), and float-lane sums are good to about 1e-7 of the spread only
                plane.centredSumsInDouble(x, start, size, stats, base);
            }
        }
    }

    /**
     * Significant bits kept of the probe's mean. The float kernels form x - shift in float; bits of the shift below
     * the ulp of x - shift are lost the same way on every element, a bias that adds up over the plane (a few 1e-7
     * of the mean of an ordinary zero-mean plane). A shift of few bits has none to lose while |x - shift| stays
     * below 2^(24 - bits) |shift|; a guess within 2^-7 of the probe's mean is still close enough for one pass
     * unless the mean is hundreds of standard deviations from 0.
     */
    private static final int PROBE_SHIFT_BITS = 6;

    /** {@code v} rounded to {@code bits} significant bits. */
    static double roundToBits(double v, int bits) {
        int e = Math.getExponent(v) - (bits - 1);
        return Math.scalb(Math.rint(Math.scalb(v, -e)), e);
    }

    /**
     * Whether every x - shift of a unit whose sum of (x - shift)^2 is {@code sumSq} keeps all the bits of the
     * shift: |x - shift| <= sqrt(sumSq) < 2^23 times the shift's lowest set bit. NaN answers true (the sums are
     * NaN anyway).
     */
    static boolean exactDifferences(float shift, double sumSq) {
        if (shift == 0) {
            return true;
        }
        int bits = Float.floatToRawIntBits(shift) & 0x7fffffff;
        int exponent = bits >>> 23;
        int mantissa = bits & 0x7fffff;
        if (exponent != 0) {
            mantissa |= 0x800000;
        } else {
            exponent = 1;
        }
        double lowestBit = Math.scalb(1.0, exponent - 150 + Integer.numberOfTrailingZeros(mantissa));
        double limit = 0x1p23 * lowestBit;
        return !(sumSq >= limit * limit);
    }

    /**
     * {@code mean} rounded to a multiple of a power of two between 1/64 and 1/32 of {@code spread} (so 0 when the
     * mean is below 1/64 of it): as good a centre for the sums, and one whose bits x - shift keeps.
     */
    static double onGrid(double mean, double spread) {
        if (!(spread > 0) || !Double.isFinite(mean) || !Double.isFinite(spread)) {
            return mean;
        }
        int e = Math.getExponent(spread) - 5;
        return Math.scalb(Math.rint(Math.scalb(mean, -e)), e);
    }

    /**
     * The saved means within {@link #MEAN_TOLERANCE} of the largest: an instance whose mean's estimated rounding error
     * (from its float-lane sums, {@link BackwardPass#ERROR_SIGMAS} standard deviations) exceeds that is summed again
     * in double and its saved mean written again. That is where the mean is far below the spread of x (by chance,
     * on ordinary zero-mean planes, when the instances are few). y and invstd keep the first sums: their error
     * is relative to the spread, not to the mean. Needs x as it was: not when y is written over x.
     */
    private void resumMeans(int from, int to) {
        for (int i = from; i < to; i++) {
            if (!(errMean[i] > meanLimit * meanLimit) || !Double.isFinite(coef[i * FIELDS + MEAN])) {
                continue;
            }
            for (int k = 0; k < unitsPerGroup; k++) {
                plane.centredSumsInDouble(x, geo.unitStart(i, k), geo.unitSize(k), stats,
                        Moments.statsBase(unitsPerGroup, 1, i, k));
            }
            int at = i * FIELDS;
            Moments.meanAndVariance(geo, unitsPerGroup, stats, i, 0, coef, at + MEAN, at + VAR);
            meanOut.setAtIndex(F32, i, (float) coef[at + MEAN]);
        }
    }

    /** Also writes the instance's saved mean and invstd. */
    @Override
    void mergeInstance(int g, int cc, int i) {
        int at = i * FIELDS;
        int c = i % geo.channels();
        Moments.meanAndVariance(geo, unitsPerGroup, stats, g, cc, coef, at + MEAN, at + VAR);
        double invstd = 1.0 / Math.sqrt(coef[at + VAR] + eps);
        coef[at + SCALE] = gamma == null ? invstd : gamma.getAtIndex(F32, c) * invstd;
        coef[at + BIAS] = beta == null ? 0.0 : beta.getAtIndex(F32, c);
        meanOut.setAtIndex(F32, i, (float) coef[at + MEAN]);
        invstdOut.setAtIndex(F32, i, (float) invstd);
        if (!geo.channelsLast()) {
            double varSum = 0;
            for (int k = 0; k < unitsPerGroup; k++) {
                varSum += stats[Moments.statsBase(unitsPerGroup, 1, g, k) + StatsLayout.SUM_X_ERR];
            }
            double m = geo.spatial();
            errMean[i] = varSum / (m * m);
        } else {
            rowMean[i] = coef[at + MEAN];
            rowScale[i] = coef[at + SCALE];
            rowBias[i] = coef[at + BIAS];
        }
    }

    @Override
    void write(int g, int k) {
        long start = geo.unitStart(g, k);
        long size = geo.unitSize(k);
        if (geo.channelsLast()) {
            rows.normalize(x, start, y, start, size, geo.channels(), rowMean, rowScale, rowBias, g * geo.channels());
        } else {
            int at = g * FIELDS;
            double scale = coef[at + SCALE];
            if (floatKeepsPrecision(scale, coef[at + VAR])) {
                plane.normalize(x, start, y, start, size, coef[at + MEAN], scale, coef[at + BIAS]);
            } else {
                normalizeInDouble(x, start, y, start, size, coef[at + MEAN], scale, coef[at + BIAS]);
            }
        }
    }

    /**
     * Whether the float write of {@link PlaneKernels#normalize} keeps every float it forms normal and finite, so
     * that it errs by a few float ulps of y: |x - mean| (at most sqrt(M * var), M the plane's elements, which
     * bounds the unit's too) and its product with the scale stay far below float's maximum, and the scale and the
     * products' typical size sqrt(var) * scale far above its subnormals. Not so (NaN included) only at the edges of
     * float's range: spreads near the float maximum, eps and variance far below float's smallest normal, constant
     * planes.
     */
    private boolean floatKeepsPrecision(double scale, double variance) {
        double spread = geo.spatial() * variance;
        double scaleSq = scale * scale;
        return spread <= 0x1p250 && spread * scaleSq <= 0x1p200
                && (scale == 0 || (scaleSq >= 0x1p-200 && scaleSq <= 0x1p200 && variance * scaleSq >= 0x1p-200));
    }

    /**
     * {@code y = (x - mean) * scale + bias} in double, rounded once: the forward's rare path, a plain loop (the same
     * for every kernel set).
     */
    private static void normalizeInDouble(MemorySegment x, long xOffset, MemorySegment y, long yOffset, long count,
                                          double mean, double scale, double bias) {
        for (long i = 0; i < count; i++) {
            y.setAtIndex(F32, yOffset + i, (float) ((x.getAtIndex(F32, xOffset + i) - mean) * scale + bias));
        }
    }
}
