package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Instance-norm backward over raw segments. Per (n, c) instance with M elements, S = sum(dy) and
 * D = sum(dy * (x - mean)):
 * <pre>
 *   dx = a * (dy - S / M) + b * (x - mean),   a = gamma * invstd,   b = -a * invstd^2 * D / M
 *   dgamma[c] = sum over n of invstd * D,    dbeta[c] = sum over n of S
 * </pre>
 * which is gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) with xhat = (x - mean) * invstd, written as an
 * affine map of dy and x so no xhat buffer is needed. D is summed centred, so a mean far above the spread loses no
 * digits. The map keeps its centres (rather than folding them into one constant) so that a constant plane or a
 * plane of one element gives exactly dx = 0 instead of the rounding residue of a*dy + c.
 *
 * <p>With saved statistics, the saved (float32) mean serves as the centring shift and the exact mean of x is
 * recovered from the same pass (shift + sum(x - shift) / M), so a rounded saved mean costs no accuracy. The same
 * pass yields the variance, so a saved invstd that is merely the float32 rounding of 1 / sqrt(var + eps) is
 * replaced by the double value; a saved invstd that differs by more than that is used as given. Without saved
 * statistics, mean and invstd are recomputed from x (one more read of each unit, from cache).
 *
 * <p>dx of an NCHW instance is written in float arithmetic (twice the elements per vector) where the sums show that dx
 * keeps at least 1/16 of the energy of dy itself ({@link #keptOfRawDy}: dx is then at least a quarter of the size of
 * its two terms), the plane has 256 elements or more, and every float the write forms stays inside float's normal
 * range; otherwise (dy nearly in span{1, xhat} or a large common offset, small planes, spreads or eps at the ends of
 * float's range) in double, rounded once. The float write errs by a few float ulps (6e-8 each) of its two terms, not of
 * dx; where it is used the terms are together at most 8 times dx's size (both are at most gamma * invstd * |dy| in
 * norm), which keeps that error below 1e-6 of dx. The vector kernels' float-lane sums err by about 1e-7 of the size of
 * their terms; where dx keeps less than that 1/16, the instance is summed again in double first. So dx is within 1e-6
 * normwise of its exact value wherever that is finite in float32 (or within 1e-12 of the size of its terms, where it
 * cancels below a millionth of them), and the correctly signed infinity where it overflows.
 *
 * <p>dgamma and dbeta are sums over the batch of the instances' invstd * D and S. With sums in double (scalar
 * kernels, channels-last rows, instances summed again) they are within 1e-6 of their norm over the channels
 * (1e-12 of their terms' size where they cancel below a millionth of it). The vector kernels' float-lane sums
 * also estimate their own rounding error ({@code ErrorModel}); after the pass, every channel whose estimated
 * error could reach {@link #PARAMETER_TOLERANCE} of the largest |dgamma| or |dbeta| is summed again in double
 * (dy uncorrelated with x on few channels, dy nearly centred, ramps of dy around a small offset). That needs dy
 * as it was: with dx written over dy, dgamma and dbeta keep the float-lane sums, good to about 1e-7 of the size
 * of their terms.
 *
 * <p>dgamma and dbeta are reduced from per-instance partials over n in a fixed order after the parallel phases, so
 * the outputs are bitwise the same for any thread count. One {@code run} at a time; {@code run} allocates nothing.
 */
public final class BackwardPass extends UnitSchedule {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Smallest plane written in float: smaller ones gain little and cancel more. */
    private static final double MIN_FLOAT_WRITE = 256;
    /**
     * The least part of its terms' size that dx may keep for its sums in float lanes and its float write: below,
     * their errors of a few 1e-8 of the terms would exceed about 1e-7 of dx.
     */
    private static final double MIN_KEPT = 1.0 / 16;
    /**
     * How far (in float32 ulps) a saved invstd may be from the one computed from x and still count as that value
     * rounded: the vector forward's invstd is good to about 1e-7 (one or two ulps), and where dx cancels, using
     * that rounding as given would grow it past 1e-6 of dx.
     */
    private static final int SAVED_INVSTD_ULPS = 8;
    /**
     * The part of the largest |dgamma| (or |dbeta|) over the channels that a channel's rounding error may reach
     * before its instances are summed again in double; below 1e-6 by what the output's own float rounding and the
     * invstd's error add.
     */
    private static final double PARAMETER_TOLERANCE = 8e-7;
    /** Standard deviations of the estimated rounding error that must fit under {@link #PARAMETER_TOLERANCE}. */
    static final double ERROR_SIGMAS = 3;

    private final double eps;
    private final PlaneKernels plane;
    private final RowKernels rows;
    private final double[] stats;
    /**
     * Per instance i, its coefficients at {@code coef[i * FIELDS + ...]}: stored together, so that a merge writes
     * one cache line and the write reads it back. (Spread over one array per field, the merges of small planes
     * were measured to cost about as much as the planes' own loads and stores.)
     */
    private final double[] coef;
    /** Channels-last: mean, mean(dy), a and b again, one array per field, as the row kernels read them. */
    private final double[] rowMean;
    private final double[] rowMeanDy;
    private final double[] rowA;
    private final double[] rowB;
    /**
     * Per instance, the estimated variance of the rounding error of its dbeta and dgamma terms (S and invstd * D),
     * from the float-lane sums (0 where they were added in double).
     */
    private final double[] errDbeta;
    private final double[] errDgamma;
    /** Per channel: whether its instances are summed again in double for dgamma and dbeta. */
    private final boolean[] resum;
    /** Per channel, the mean and variance of an instance summed again (one slot per channel: tasks own channels). */
    private final double[] meanScratch;
    private final Parallel.Task resumTask = this::resumChannels;

    private static final int MEAN = 0;
    private static final int VAR = 1;
    private static final int MEAN_DY = 2;
    private static final int A = 3;
    private static final int B = 4;
    private static final int DGAMMA = 5;
    private static final int DBETA = 6;
    /** 1 where dx cancels little, so the float write kernel is accurate enough (see {@link #mayWriteInFloat}). */
    private static final int FLOAT_WRITE = 7;
    private static final int FIELDS = 8;

    private MemorySegment x;
    private MemorySegment dy;
    private MemorySegment savedMean;
    private MemorySegment savedInvstd;
    private MemorySegment gamma;
    private MemorySegment dx;

    /**
     * Heap bytes a backward pass over {@code geo} allocates as scratch (see the constructor), known before any is.
     *
     * @param geo the problem shape and its cut into units
     * @return the bytes
     */
    public static long scratchBytes(NormGeometry geo) {
        // the two error estimates per NCHW instance; per channel a flag (counted as a double), a mean and a variance
        long bytes = geo.scratchBytes(FIELDS + (geo.channelsLast() ? 0 : 2), 4);
        return bytes == Long.MAX_VALUE ? bytes : bytes + 3L * geo.channels() * Double.BYTES;
    }

    /**
     * @param geo     the problem shape and its cut into units
     * @param eps     added to the variance when the statistics are recomputed; positive and finite
     * @param kernels the kernels to use (see {@link Kernels})
     */
    public BackwardPass(NormGeometry geo, double eps, KernelSet kernels) {
        this(geo, eps, kernels, kernels.caches());
    }

    /**
     * As {@link #BackwardPass(NormGeometry, double, KernelSet)}, with planes larger than a unit run in waves fitted to
     * {@code caches}.
     */
    public BackwardPass(NormGeometry geo, double eps, KernelSet kernels, CacheSizes caches) {
        super(geo, 2, caches);
        this.eps = eps;
        this.plane = kernels.plane();
        this.rows = kernels.rows();
        this.stats = new double[geo.statsLength()];
        int n = geo.instances();
        this.coef = new double[n * FIELDS]; // n <= NormGeometry.MAX_INSTANCES keeps this in range
        int rowsLength = geo.channelsLast() ? n : 0;
        this.rowMean = new double[rowsLength];
        this.rowMeanDy = new double[rowsLength];
        this.rowA = new double[rowsLength];
        this.rowB = new double[rowsLength];
        int errLength = geo.channelsLast() ? 0 : n;
        this.errDbeta = new double[errLength];
        this.errDgamma = new double[errLength];
        this.resum = new boolean[geo.channelsLast() ? 0 : geo.channels()];
        this.meanScratch = new double[geo.channelsLast() ? 0 : 2 * geo.channels()];
    }

    /**
     * Computes dx and, where the segments are not null, dgamma and dbeta ([C]). {@code savedMean} and
     * {@code savedInvstd} ([N, C]) are both given or both null (recompute); {@code gamma} null means 1. {@code dx}
     * may be the memory of {@code dy}.
     */
    public void run(MemorySegment x, MemorySegment dy, MemorySegment savedMean, MemorySegment savedInvstd,
                    MemorySegment gamma, MemorySegment dx, MemorySegment dgamma, MemorySegment dbeta,
                    Parallel parallel) {
        if ((savedMean == null) != (savedInvstd == null)) {
            throw new IllegalArgumentException("saved statistics: expected mean and invstd both or neither, got "
                    + (savedMean == null ? "invstd only" : "mean only"));
        }
        this.x = x;
        this.dy = dy;
        this.savedMean = savedMean;
        this.savedInvstd = savedInvstd;
        this.gamma = gamma;
        this.dx = dx;
        try {
            schedule(parallel);
            if ((dgamma != null || dbeta != null) && !geo.channelsLast()
                    && plane.sumsInFloat(geo.unitSize(0)) && !sameMemory(dy, dx)) {
                resumWhereUncertain(dgamma != null, dbeta != null, parallel);
            }
        } finally {
            this.x = this.dy = this.savedMean = this.savedInvstd = this.gamma = this.dx = null;
        }
        if (dgamma != null) {
            sumOverBatch(DGAMMA, dgamma);
        }
        if (dbeta != null) {
            sumOverBatch(DBETA, dbeta);
        }
    }

    /** Whether an output is written over an input (in place), without allocating. */
    static boolean sameMemory(MemorySegment a, MemorySegment b) {
        return a.address() == b.address() && a.isNative() && b.isNative()
                || a.address() == b.address() && !a.isNative() && a.heapBase().equals(b.heapBase());
    }

    private void sumOverBatch(int field, MemorySegment out) {
        for (int c = 0; c < geo.channels(); c++) {
            out.setAtIndex(F32, c, (float) sumOverBatch(c, field));
        }
    }

    private double sumOverBatch(int c, int field) {
        int channels = geo.channels();
        double s = 0;
        for (int n = 0; n < geo.batch(); n++) {
            s += coef[(n * channels + c) * FIELDS + field];
        }
        return s;
    }

    /**
     * dgamma and dbeta within {@link #PARAMETER_TOLERANCE} of their norm: where the estimated rounding error of a
     * channel's float-lane sums (statistical; {@link #ERROR_SIGMAS} standard deviations) exceeds that part of the
     * largest |dgamma| or |dbeta| over the channels, every instance of the channel is summed again in double. That is
     * where the sums cancel far more than random terms do (dy nearly centred, or uncorrelated with x), and where
     * planes are few enough that a channel's own sum may by chance be small. Needs dy as it was: not in place.
     */
    private void resumWhereUncertain(boolean dgammaWanted, boolean dbetaWanted, Parallel parallel) {
        int channels = geo.channels();
        double largestDgamma = 0, largestDbeta = 0;
        for (int c = 0; c < channels; c++) {
            // a channel spoiled by a NaN or an infinity does not count, and is left as it is below
            largestDgamma = largestFinite(largestDgamma, sumOverBatch(c, DGAMMA));
            largestDbeta = largestFinite(largestDbeta, sumOverBatch(c, DBETA));
        }
        double dgammaLimit = PARAMETER_TOLERANCE * largestDgamma / ERROR_SIGMAS;
        double dbetaLimit = PARAMETER_TOLERANCE * largestDbeta / ERROR_SIGMAS;
        boolean any = false;
        for (int c = 0; c < channels; c++) {
            double varDgamma = 0, varDbeta = 0;
            for (int n = 0, i = c; n < geo.batch(); n++, i += channels) {
                varDgamma += errDgamma[i];
                varDbeta += errDbeta[i];
            }
            resum[c] = Double.isFinite(sumOverBatch(c, DGAMMA)) && Double.isFinite(sumOverBatch(c, DBETA))
                    && (dgammaWanted && varDgamma > dgammaLimit * dgammaLimit
                        || dbetaWanted && varDbeta > dbetaLimit * dbetaLimit);
            any |= resum[c];
        }
        if (any) {
            parallel.forRange(channels, 1, resumTask);
        }
    }

    /** The larger of {@code largest} and |v|, where v is finite. */
    static double largestFinite(double largest, double v) {
        return Double.isFinite(v) ? Math.max(largest, Math.abs(v)) : largest;
    }

    private void resumChannels(int from, int to) {
        int channels = geo.channels();
        for (int c = from; c < to; c++) {
            if (!resum[c]) {
                continue;
            }
            for (int i = c; i < geo.instances(); i += channels) {
                for (int k = 0; k < unitsPerGroup; k++) {
                    plane.gradSumsInDouble(x, geo.unitStart(i, k), dy, geo.unitStart(i, k), geo.unitSize(k), stats,
                            Moments.statsBase(unitsPerGroup, 1, i, k));
                }
                int at = i * FIELDS;
                double invstd = invstd(i, coef[at + VAR]);
                // centred on the mean of these sums: D moves by -S times the first mean's error
                double offset = Moments.meanAndVariance(geo, unitsPerGroup, stats, i, 0, meanScratch, 2 * c, 2 * c + 1);
                coef[at + DGAMMA] = invstd * Moments.sumDyCentred(geo, unitsPerGroup, stats, i, 0, offset);
                coef[at + DBETA] = Moments.sumDy(geo, unitsPerGroup, stats, i, 0);
            }
        }
    }

    /** Picks the unit's centring shift (saved mean, or the unit's own mean), then takes the four sums. */
    @Override
    void unitSums(int g, int k) {
        long start = geo.unitStart(g, k);
        long size = geo.unitSize(k);
        int base = Moments.statsBase(unitsPerGroup, geo.unitChannels(), g, k);
        if (geo.channelsLast()) {
            int channels = geo.channels();
            if (savedMean != null) {
                for (int c = 0; c < channels; c++) {
                    stats[base + StatsLayout.SHIFT * channels + c] = savedMean.getAtIndex(F32, (long) g * channels + c);
                }
            } else {
                rows.means(x, start, size, channels, stats, base);
            }
            rows.gradSums(x, start, dy, start, size, channels, stats, base);
        } else {
            stats[base + StatsLayout.SHIFT] = savedMean != null
                    ? savedMean.getAtIndex(F32, g)
                    : plane.sum(x, start, size) / size;
            plane.gradSums(x, start, dy, start, size, stats, base);
        }
    }

    @Override
    void mergeInstance(int g, int cc, int i) {
        double m = geo.spatial();
        int at = i * FIELDS;
        boolean planes = !geo.channelsLast();
        double mean, variance, invstd, sumDy, sumDyX, sumDySq = 0, kept = 1;
        for (boolean again = planes && plane.sumsInFloat(geo.unitSize(0)); ; again = false) {
            double offset = Moments.meanAndVariance(geo, unitsPerGroup, stats, g, cc, coef, at + MEAN, at + VAR);
            mean = coef[at + MEAN];
            variance = coef[at + VAR];
            invstd = invstd(i, variance);
            sumDy = Moments.sumDy(geo, unitsPerGroup, stats, g, cc);
            sumDyX = Moments.sumDyCentred(geo, unitsPerGroup, stats, g, cc, offset);
            if (planes) {
                sumDySq = sumDySq(g);
                kept = keptFraction(m, sumDy, sumDyX, sumDySq, variance, invstd);
            }
            if (!again || keptOfRawDy(m, sumDy, sumDySq, kept) >= MIN_KEPT) {
                break;
            }
            // dx keeps so small a part of its terms that the float-lane sums' error (about 1e-7 of the terms) would
            // grow past 4e-7 of dx: sum the instance again in double
            for (int k = 0; k < unitsPerGroup; k++) {
                plane.gradSumsInDouble(x, geo.unitStart(g, k), dy, geo.unitStart(g, k), geo.unitSize(k), stats,
                        Moments.statsBase(unitsPerGroup, 1, g, k));
            }
        }
        double scale = gamma == null ? invstd : gamma.getAtIndex(F32, i % geo.channels()) * invstd;
        // in this order b stays finite: invstd^2 overflows double only on constant planes with eps near
        // Double.MIN_VALUE, where sumDyX is 0
        double b = -scale * (invstd * (invstd * (sumDyX / m)));
        coef[at + MEAN_DY] = sumDy / m;
        coef[at + A] = scale;
        coef[at + B] = b;
        coef[at + DGAMMA] = invstd * sumDyX;
        coef[at + DBETA] = sumDy;
        if (planes) {
            recordErrors(g, mean, invstd, sumDy);
        }
        coef[at + FLOAT_WRITE] = planes && m >= MIN_FLOAT_WRITE
                && mayWriteInFloat(m, sumDy, sumDySq, variance, kept, scale, b) ? 1 : 0;
        if (!planes) {
            rowMean[i] = mean;
            rowMeanDy[i] = coef[at + MEAN_DY];
            rowA[i] = coef[at + A];
            rowB[i] = coef[at + B];
        }
    }

    /** invstd of instance {@code i}: from the variance, or the saved one (see {@link #refineSaved}). */
    private double invstd(int i, double variance) {
        double invstd = 1.0 / Math.sqrt(variance + eps);
        return savedInvstd == null ? invstd : refineSaved(savedInvstd.getAtIndex(F32, i), invstd);
    }

    /**
     * The error variances of NCHW instance {@code g}'s dbeta and dgamma terms, from its units' (independent, so
     * their variances add): S = sum of the units' SUM_DY, D = sum of SUM_DY_X + (shift - mean) * SUM_DY.
     */
    private void recordErrors(int g, double mean, double invstd, double sumDy) {
        double varS = 0, varD = 0, varSumX = 0;
        for (int k = 0; k < unitsPerGroup; k++) {
            int base = Moments.statsBase(unitsPerGroup, 1, g, k);
            double offset = stats[base + StatsLayout.SHIFT] - mean;
            varS += stats[base + StatsLayout.SUM_DY_ERR];
            varD += stats[base + StatsLayout.SUM_DY_X_ERR] + offset * offset * stats[base + StatsLayout.SUM_DY_ERR];
            varSumX += stats[base + StatsLayout.SUM_X_ERR];
        }
        // D moves by -S times the mean's error, which is sum(x - shift)'s over M
        double m = geo.spatial();
        varD += sumDy * sumDy * (varSumX / (m * m));
        errDbeta[g] = varS;
        errDgamma[g] = invstd * invstd * varD;
    }

    /** sum(dy^2) over NCHW instance {@code g}. */
    private double sumDySq(int g) {
        double sumDySq = 0;
        for (int k = 0; k < unitsPerGroup; k++) {
            sumDySq += stats[Moments.statsBase(unitsPerGroup, 1, g, k) + StatsLayout.SUM_DY_SQ];
        }
        return sumDySq;
    }

    /**
     * The part of its terms' size that dx of an NCHW instance keeps, sum(dx^2) / (a^2 G) with G = sum(dyc^2), from
     * the sums: dx = a * (dyc - k * xc) with dyc, xc the centred dy and x, so sum(dx^2) / a^2 =
     * G - 2 k D + k^2 M var, where D = sum(dy * xc) and k = D * invstd^2 / M. 0 when G is below 1e-4 of sum(dy^2),
     * from whose rounding it is computed (dy nearly constant); 1 when dy is 0; NaN when a sum is.
     */
    private static double keptFraction(double m, double sumDy, double sumDyX, double sumDySq, double variance,
                                       double invstd) {
        double centred = sumDySq - sumDy * (sumDy / m);
        if (!(centred >= 1e-4 * sumDySq)) {
            return Double.isNaN(centred) ? Double.NaN : 0;
        }
        if (sumDySq == 0) {
            return 1;
        }
        double k = invstd * (invstd * (sumDyX / m));
        return (centred - 2 * k * sumDyX + k * k * m * variance) / centred;
    }

    /**
     * The part of dy's own size (uncentred: sum(dy^2)) that dx keeps. The float-lane sums and the float write err by
     * a few 1e-8 of dy itself, not of dy - mean(dy): where dy has a large common part (dy = 0.5 + noise), centring
     * cancels as much as the xhat term does, so both are measured against the raw sum of squares.
     */
    private static double keptOfRawDy(double m, double sumDy, double sumDySq, double kept) {
        if (!(sumDySq > 0)) {
            return kept;
        }
        return kept * ((sumDySq - sumDy * (sumDy / m)) / sumDySq);
    }

    /**
     * Whether dx of an NCHW instance may be written in float arithmetic, which errs by a few float ulps of dx's two
     * terms while every float it forms is normal and finite. So it is used only when dx keeps at least a quarter of
     * the terms' size ({@link #keptFraction}), and when the floats stay in range: a and b normal (or b zero), the
     * terms a * (dy - mean(dy)) (at most 2 a sqrt(sum(dy^2))) and b * (x - mean) (at most b sqrt(M var)) far below
     * the float maximum, and dx's typical size far above the subnormals. NaN answers false.
     */
    private static boolean mayWriteInFloat(double m, double sumDy, double sumDySq, double variance, double kept,
                                           double a, double b) {
        double aSq = a * a;
        double bSq = b * b;
        double spread = m * variance;
        double dxSq = aSq * (sumDySq - sumDy * (sumDy / m)) * kept / m; // mean(dx^2)
        return keptOfRawDy(m, sumDy, sumDySq, kept) >= MIN_KEPT && kept <= 2
                && aSq >= 0x1p-200 && aSq <= 0x1p200 && (b == 0 || (bSq >= 0x1p-200 && bSq <= 0x1p200))
                && sumDySq <= 0x1p248 && aSq * sumDySq <= 0x1p248 && spread <= 0x1p250 && bSq * spread <= 0x1p250
                && dxSq >= 0x1p-200;
    }

    /**
     * The saved invstd to use: when it is the float32 rounding of the invstd just computed from x (within
     * {@link #SAVED_INVSTD_ULPS} float32 ulps, the forward's own accuracy), the double value, so that rounding
     * costs no accuracy where dx nearly cancels (tiny planes, variance far above eps); otherwise the saved value as
     * given.
     */
    private static double refineSaved(double saved, double exact) {
        return Math.abs(saved - exact) <= SAVED_INVSTD_ULPS * Math.ulp((float) exact) ? exact : saved;
    }

    @Override
    void write(int g, int k) {
        long start = geo.unitStart(g, k);
        long size = geo.unitSize(k);
        if (geo.channelsLast()) {
            rows.gradInput(x, start, dy, start, dx, start, size, geo.channels(), rowMean, rowMeanDy, rowA, rowB,
                    g * geo.channels());
            return;
        }
        int at = g * FIELDS;
        if (coef[at + FLOAT_WRITE] != 0) {
            plane.gradInputFloat(x, start, dy, start, dx, start, size, coef[at + MEAN], coef[at + MEAN_DY],
                    coef[at + A], coef[at + B]);
        } else {
            plane.gradInput(x, start, dy, start, dx, start, size, coef[at + MEAN], coef[at + MEAN_DY],
                    coef[at + A], coef[at + B]);
        }
    }
}
