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
 * <p>dx of an NCHW instance is written in float arithmetic (twice the elements per vector) when it keeps at least a
 * quarter of the size of its two terms, which the sums tell before the write; otherwise, where dx cancels (dy
 * nearly proportional to x, tiny planes), in double. Either way the error stays a few float ulps of dx's scale.
 *
 * <p>dgamma and dbeta are reduced from per-instance partials over n in a fixed order after the parallel phases, so
 * the outputs are bitwise the same for any thread count. One {@code run} at a time; {@code run} allocates nothing.
 */
public final class BackwardPass extends UnitSchedule {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Smallest plane written in float: smaller ones gain little and cancel more. */
    private static final double MIN_FLOAT_WRITE = 256;

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
        return geo.scratchBytes(FIELDS, 4);
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

    private void sumOverBatch(int field, MemorySegment out) {
        int channels = geo.channels();
        for (int c = 0; c < channels; c++) {
            double s = 0;
            for (int n = 0; n < geo.batch(); n++) {
                s += coef[(n * channels + c) * FIELDS + field];
            }
            out.setAtIndex(F32, c, (float) s);
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
        Moments.meanAndVariance(geo, unitsPerGroup, stats, g, cc, coef, at + MEAN, at + VAR);
        double mean = coef[at + MEAN];
        double variance = coef[at + VAR];
        double invstd = 1.0 / Math.sqrt(variance + eps);
        if (savedInvstd != null) {
            invstd = refineSaved(savedInvstd.getAtIndex(F32, i), invstd);
        }
        double sumDy = Moments.sumDy(geo, unitsPerGroup, stats, g, cc);
        double sumDyX = Moments.sumDyCentred(geo, unitsPerGroup, stats, g, cc, mean);
        double scale = gamma == null ? invstd : gamma.getAtIndex(F32, i % geo.channels()) * invstd;
        coef[at + MEAN_DY] = sumDy / m;
        coef[at + A] = scale;
        coef[at + B] = -scale * invstd * invstd * (sumDyX / m);
        coef[at + DGAMMA] = invstd * sumDyX;
        coef[at + DBETA] = sumDy;
        coef[at + FLOAT_WRITE] = !geo.channelsLast() && mayWriteInFloat(g, m, sumDy, sumDyX, variance, invstd) ? 1 : 0;
        if (geo.channelsLast()) {
            rowMean[i] = mean;
            rowMeanDy[i] = coef[at + MEAN_DY];
            rowA[i] = coef[at + A];
            rowB[i] = coef[at + B];
        }
    }

    /**
     * Whether dx of NCHW instance {@code g} may be written in float arithmetic. dx = a * (dyc - k * xc) with dyc,
     * xc the centred dy and x; float arithmetic errs by an ulp of the terms, so it is used only when dx keeps at
     * least a quarter of the terms' size: sum(dx^2) / a^2 = G - 2 k D + k^2 M var &gt;= G / 16, where
     * G = sum(dyc^2), D = sum(dy * xc), k = D * invstd^2 / M. It also needs a plane big enough to gain from it, and
     * G well above the float rounding of sum(dy^2), from which it is computed. NaN answers false.
     */
    private boolean mayWriteInFloat(int g, double m, double sumDy, double sumDyX, double variance, double invstd) {
        if (m < MIN_FLOAT_WRITE) {
            return false;
        }
        double sumDySq = 0;
        for (int k = 0; k < unitsPerGroup; k++) {
            sumDySq += stats[Moments.statsBase(unitsPerGroup, 1, g, k) + StatsLayout.SUM_DY_SQ];
        }
        double centred = sumDySq - sumDy * (sumDy / m);
        double k = sumDyX * invstd * invstd / m;
        double kept = centred - 2 * k * sumDyX + k * k * m * variance;
        return centred >= 1e-4 * sumDySq && kept >= centred / 16 && kept < Double.POSITIVE_INFINITY;
    }

    /**
     * The saved invstd to use: when it is the float32 rounding of the invstd just computed from x (within one
     * float32 ulp), the double value, so that rounding costs no accuracy where dx nearly cancels (tiny planes,
     * variance far above eps); otherwise the saved value as given.
     */
    private static double refineSaved(double saved, double exact) {
        return Math.abs(saved - exact) <= Math.ulp((float) exact) ? exact : saved;
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
