package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Forward of the row norms: per row, {@code y = (x - mean) * invstd * gamma[p] + beta[p]} with the biased
 * variance (GroupNorm, LayerNorm, BatchNorm in training), or {@code y = x * invrms * gamma[p]} with
 * {@code invrms = 1 / sqrt(mean(x^2) + eps)} (RMSNorm, {@code centred == false}); or, with statistics given
 * (BatchNorm inference), {@code y = (x - mean[r]) / sqrt(var[r] + eps) * gamma[p] + beta[p]}.
 *
 * <p>Statistics in double and centred: the row is summed centred on the mean of its first elements, and again
 * centred on the mean that gives when that guess was too far off, so that a mean far above the spread loses no
 * digits; y is computed in double and
 * rounded once. Rows are processed in fixed blocks (see {@link RowPass}): bitwise the same for any thread count.
 * Not thread-safe: one {@code run} at a time; {@code run} allocates nothing. {@code y} may be the memory of x.
 */
public final class RowNormForward extends RowPass {
    private final double eps;
    private final boolean centred;
    private final double[] mean;
    private final double[] variance;
    /** Walk in memory order: per row its float shift, per slab block and row the two sums, per row how to write. */
    private final float[] slabShift;
    private final double[] slabSums;
    private final float[] slabCoef;
    private final byte[] slabWrite;
    private static final byte FAST = 0;
    private static final byte DONE = 1;
    private static final int COEF = 5;
    private final Parallel.Task slabSumsTask = this::slabSums;
    private final Parallel.Task slabWriteTask = this::slabWrites;
    private MemorySegment x;
    private MemorySegment y;
    private MemorySegment gamma;
    private MemorySegment beta;
    private MemorySegment givenMean;
    private MemorySegment givenVar;

    /**
     * @param layout  where the rows lie
     * @param eps     added to the variance (or mean square); finite and positive (checked by the op)
     * @param centred false for RMSNorm (no mean subtraction)
     * @param kernels the kernels (see {@link Kernels}); their run kernels serve contiguous runs
     */
    public RowNormForward(RowLayout layout, double eps, boolean centred, KernelSet kernels) {
        this(layout, eps, centred, kernels, null);
    }

    /**
     * A forward whose per-element parameters are not in the rows' memory order: LayerNorm / RMSNorm over a
     * channels-last x whose normalized dims include C, where a row holds its elements as [spatial..., C] while
     * gamma and beta are [C, spatial...].
     *
     * @param layout     where the rows lie (per-element parameters)
     * @param eps        added to the variance (or mean square); finite and positive
     * @param centred    false for RMSNorm
     * @param kernels    the kernels
     * @param paramOrder per element of a row in memory order, the index of its parameter; null for the identity
     */
    public RowNormForward(RowLayout layout, double eps, boolean centred, KernelSet kernels, int[] paramOrder) {
        super(layout, kernels, paramOrder);
        this.eps = eps;
        this.centred = centred;
        this.mean = new double[layout.rows()];
        this.variance = new double[layout.rows()];
        int slabRows = bySlabs ? layout.rows() : 0;
        this.slabShift = new float[slabRows];
        this.slabSums = new double[bySlabs ? slabBlocks * slabRows * SUMS : 0];
        this.slabCoef = new float[slabRows * COEF];
        this.slabWrite = new byte[slabRows];
    }

    /**
     * Normalizes every row with its own statistics.
     *
     * @param x         input
     * @param gamma     scale per parameter, or null for 1
     * @param beta      shift per parameter, or null for 0
     * @param y         output, the layout of x
     * @param meanOut   per-row mean (float32 [rows]), or null (not wanted, or RMSNorm)
     * @param invstdOut per-row 1 / sqrt(var + eps) (RMSNorm: 1 / sqrt(mean(x^2) + eps)), float32 [rows], or null
     * @param parallel  where the blocks run
     */
    public void run(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                    MemorySegment meanOut, MemorySegment invstdOut, Parallel parallel) {
        loadParams(gamma, beta);
        this.x = x;
        this.y = y;
        this.gamma = gamma;
        this.beta = beta;
        try {
            if (bySlabs) {
                runBySlabs(parallel);
            } else {
                forEachRow(parallel);
            }
        } finally {
            this.x = this.y = this.gamma = this.beta = null;
        }
        for (int r = 0; r < layout.rows(); r++) {
            if (meanOut != null) {
                meanOut.setAtIndex(F32, r, (float) mean[r]);
            }
            if (invstdOut != null) {
                invstdOut.setAtIndex(F32, r, (float) (1.0 / Math.sqrt(variance[r] + eps)));
            }
        }
    }

    /**
     * Normalizes every row with given statistics (BatchNorm inference).
     *
     * @param x        input
     * @param gamma    scale, or null
     * @param beta     shift, or null
     * @param y        output
     * @param rowMean  float32 [rows]: the mean to subtract
     * @param rowVar   float32 [rows]: the variance (eps is added)
     * @param parallel where the blocks run
     */
    public void runWithStatistics(MemorySegment x, MemorySegment gamma, MemorySegment beta, MemorySegment y,
                                  MemorySegment rowMean, MemorySegment rowVar, Parallel parallel) {
        loadParams(gamma, beta);
        this.x = x;
        this.y = y;
        this.gamma = gamma;
        this.beta = beta;
        this.givenMean = rowMean;
        this.givenVar = rowVar;
        try {
            forEachRow(parallel);
        } finally {
            this.x = this.y = this.gamma = this.beta = this.givenMean = this.givenVar = null;
        }
    }

    /** @return the number of rows */
    public int rows() {
        return layout.rows();
    }

    /** The mean of row {@code row} in the last {@code run} (double; 0 for RMSNorm). */
    public double mean(int row) {
        return mean[row];
    }

    /** The biased variance (RMSNorm: mean square) of row {@code row} in the last {@code run}. */
    public double variance(int row) {
        return variance[row];
    }

    /**
     * The walk in memory order: the fast sums of every run, slab by slab, into per-slab-block partials; per row,
     * the partials added in slab-block order and checked (a row they cannot serve goes through the exact path
     * alone); then the float writes, slab by slab.
     */
    private void runBySlabs(Parallel parallel) {
        int rows = layout.rows();
        for (int r = 0; r < rows; r++) {
            slabShift[r] = centred ? (float) probeMean(x, r) : 0f;
        }
        forEachSlabBlock(parallel, slabSumsTask);
        double n = layout.rowLength();
        for (int r = 0; r < rows; r++) {
            double s = 0;
            double q = 0;
            for (int sb = 0; sb < slabBlocks; sb++) {
                s += slabSums[(sb * rows + r) * SUMS];
                q += slabSums[(sb * rows + r) * SUMS + 1];
            }
            slabWrite[r] = DONE;
            if ((centred && !(s * s <= FAR_FROM_MEAN * n * q)) || (runs.sumsInFloat() && !trustedSquares(q))) {
                exactRow(0, r);
                continue;
            }
            double m = centred ? slabShift[r] + s / n : 0;
            double v = centred ? Math.max((q - s * (s / n)) / n, 0.0) : q / n;
            mean[r] = m;
            variance[r] = v;
            double invstd = 1.0 / Math.sqrt(v + eps);
            if (!fastWriteFits(m, invstd, v)) {
                write(r, m, invstd);
                continue;
            }
            int c = r * COEF;
            float meanF = (float) m;
            slabCoef[c] = meanF;
            slabCoef[c + 1] = (float) invstd;
            slabCoef[c + 2] = (float) ((m - meanF) * invstd);
            slabCoef[c + 3] = gammaFloats[layout.runParam(r, 0)];
            slabCoef[c + 4] = betaFloats[layout.runParam(r, 0)];
            slabWrite[r] = FAST;
        }
        forEachSlabBlock(parallel, slabWriteTask);
    }

    private void slabSums(int from, int to) {
        for (int sb = from; sb < to; sb++) {
            slabBlockSums(sb, x, null, false, slabShift, slabSums);
        }
    }

    private void slabWrites(int from, int to) {
        int rows = layout.rows();
        long len = layout.runLength();
        for (int sb = from; sb < to; sb++) {
            for (int k = firstSlab(sb); k < firstSlab(sb + 1); k++) {
                for (int r = 0; r < rows; r++) {
                    if (slabWrite[r] == FAST) {
                        int c = r * COEF;
                        runs.fastNormalizeRun(x, y, layout.runStart(r, k), len, slabCoef[c], slabCoef[c + 1],
                                slabCoef[c + 2], slabCoef[c + 3], slabCoef[c + 4]);
                    }
                }
            }
        }
    }

    @Override
    void row(int b, int r) {
        if (givenMean == null && useFastKernels() && fastRow(b, r)) {
            return;
        }
        exactRow(b, r);
    }

    /** Row {@code r} in double: sums, statistics and write. */
    private void exactRow(int b, int r) {
        double m;
        double v;
        if (givenMean != null) {
            m = givenMean.getAtIndex(F32, r);
            v = givenVar.getAtIndex(F32, r);
        } else if (centred) {
            double n = layout.rowLength();
            double shift = probeMean(x, r);
            centredSums(x, r, shift, b);
            double s = sums[b * SLOT];
            if (!(s * s <= FAR_FROM_MEAN * n * sums[b * SLOT + 1])) {
                // the first elements' mean was too far from the row's: sum again, centred on the row's mean
                shift += s / n;
                centredSums(x, r, shift, b);
                s = sums[b * SLOT];
            }
            m = shift + s / n;
            v = Math.max((sums[b * SLOT + 1] - s * (s / n)) / n, 0.0); // Math.max keeps NaN
            mean[r] = m;
            variance[r] = v;
        } else {
            m = 0;
            v = meanSquare(x, r);
            mean[r] = 0;
            variance[r] = v;
        }
        double invstd = 1.0 / Math.sqrt(v + eps);
        write(r, m, invstd);
    }

    /**
     * Row {@code r} through the fast kernels: sums centred on the first elements' mean rounded to float (again on
     * the row's mean when that was far off), checked, then the float write. Returns false, having written nothing,
     * when the sums cannot be trusted (overflow, subnormal squares, NaN, a mean too far above the spread for a
     * float shift): the exact path then does the row.
     */
    private boolean fastRow(int b, int r) {
        int at = b * SLOT;
        double n = layout.rowLength();
        float shift = centred ? (float) probeMean(x, r) : 0f;
        fastSums(r, shift, at);
        double s = sums[at];
        double q = sums[at + 1];
        if (centred && !(s * s <= FAR_FROM_MEAN * n * q)) {
            shift = (float) (shift + s / n);
            fastSums(r, shift, at);
            s = sums[at];
            q = sums[at + 1];
            if (!(s * s <= FAR_FROM_MEAN * n * q)) {
                return false;
            }
        }
        if (runs.sumsInFloat() && !trustedSquares(q)) {
            return false;
        }
        double m;
        double v;
        if (centred) {
            m = shift + s / n;
            v = Math.max((q - s * (s / n)) / n, 0.0);
        } else {
            m = 0;
            v = q / n;
        }
        mean[r] = m;
        variance[r] = v;
        double invstd = 1.0 / Math.sqrt(v + eps);
        if (!fastWriteFits(m, invstd, v)) {
            write(r, m, invstd);
            return true;
        }
        float meanF = (float) m;
        float invF = (float) invstd;
        float corr = (float) ((m - meanF) * invstd);
        long len = layout.runLength();
        for (int k = 0; k < layout.runs(); k++) {
            long start = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            if (layout.paramStep() == 0) {
                runs.fastNormalizeRun(x, y, start, len, meanF, invF, corr, gammaFloats[p], betaFloats[p]);
            } else {
                runs.fastNormalize(x, y, start, len, meanF, invF, corr, gammaFloats, betaFloats, p);
            }
        }
        return true;
    }

    /** sum(x - shift) and sum((x - shift)^2) over row {@code r} by the fast kernels, into {@code sums[at, at + 1]}. */
    private void fastSums(int r, float shift, int at) {
        sums[at] = 0;
        sums[at + 1] = 0;
        for (int k = 0; k < layout.runs(); k++) {
            runs.fastSums(x, layout.runStart(r, k), layout.runLength(), shift, sums, at);
        }
    }

    private void write(int r, double m, double invstd) {
        long len = layout.runLength();
        if (useKernels()) {
            for (int k = 0; k < layout.runs(); k++) {
                long at = layout.runStart(r, k);
                int p = layout.runParam(r, k);
                if (layout.paramStep() == 0) {
                    runs.normalize(x, y, at, len, m, invstd * gammaValues[p], betaValues[p]);
                } else {
                    runs.normalizeEach(x, y, at, len, m, invstd, gammaSegment, betaSegment, p);
                }
            }
            return;
        }
        long stride = layout.stride();
        int step = layout.paramStep();
        for (int k = 0; k < layout.runs(); k++) {
            long at = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            for (long j = 0; j < len; j++, at += stride, p += step) {
                double v = (x.getAtIndex(F32, at) - m) * invstd * gammaValues[p] + betaValues[p];
                y.setAtIndex(F32, at, (float) v);
            }
        }
    }
}
