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

    /**
     * Elements at the start of a unit whose mean serves as the first centring shift. When the unit's mean turns out
     * to be within half a standard deviation of it ({@code (sum / n)^2 <= var / 4}, i.e. {@code sum^2 <= n * sumSq /
     * 5}), the one pass is as accurate as centring on the mean (the squares grow by at most a quarter); otherwise the
     * unit is summed again, centred on its mean.
     */
    private static final long PROBE_ELEMENTS = 64;
    private static final double FAR_FROM_MEAN = 0.2;

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
        return geo.scratchBytes(FIELDS, 3);
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
        } finally {
            this.x = this.gamma = this.beta = this.y = this.meanOut = this.invstdOut = null;
        }
    }

    /**
     * Sums of a unit centred on the mean of its first elements, in one read; again centred on the unit's mean, from
     * cache, when that guess was too far off (see {@link #PROBE_ELEMENTS}).
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
            stats[base + StatsLayout.SHIFT] = plane.sum(x, start, probe) / probe;
            plane.centredSums(x, start, size, stats, base);
            double sum = stats[base + StatsLayout.SUM_X];
            if (!(sum * sum <= FAR_FROM_MEAN * size * stats[base + StatsLayout.SUM_SQ])) {
                // the probe's mean was not close enough to the plane's: centre on the plane's mean, read from cache
                stats[base + StatsLayout.SHIFT] += sum / size;
                plane.centredSums(x, start, size, stats, base);
            }
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
        if (geo.channelsLast()) {
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
            plane.normalize(x, start, y, start, size, coef[at + MEAN], coef[at + SCALE], coef[at + BIAS]);
        }
    }
}
