package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;

/**
 * Backward of the row norms. With {@code g = dy * gamma[p]}, L elements per row and means over the row:
 * <pre>
 *   CENTRED (GroupNorm, LayerNorm, BatchNorm training):  xhat = (x - mean) * invstd
 *       dx = invstd * (g - mean(g) - xhat * mean(g * xhat))
 *   RMS (RMSNorm):  xhat = x * invrms,   dx = invrms * (g - xhat * mean(g * xhat))
 *   FIXED (BatchNorm inference, statistics are constants):  xhat = (x - mean) * invstd,   dx = invstd * g
 *   dgamma[p] = sum of dy * xhat,   dbeta[p] = sum of dy   (over every element using parameter p)
 * </pre>
 * One read of x and dy per row for the sums, centred on the saved mean (whose float rounding costs nothing: the
 * exact mean and variance come from the same sums), one more for the write; everything in double, dx rounded
 * once. A saved invstd that is the float32 rounding of the one x gives is replaced by the exact value. Parameter
 * gradients are reduced in a fixed block order: bitwise the same for any thread count. One {@code run} at a time;
 * {@code run} allocates nothing; {@code dx} may be the memory of {@code dy}.
 */
public final class RowNormBackward extends RowPass {
    /** How the statistics depend on x. */
    public enum Mode {
        /** mean and variance of the row. */
        CENTRED,
        /** root mean square of the row, no mean. */
        RMS,
        /** given constants (running statistics). */
        FIXED
    }

    private final double eps;
    private final Mode mode;
    /** Least part of its terms' size (the raw sum of g^2) dx must keep for the fast sums and write. */
    private static final double MIN_KEPT = 1.0 / 16;
    /** Rows whose per-element parameter partials add up in float before they go into the double partials. */
    private static final int FLOAT_PARTIAL_ROWS = 16;
    /** Ints between two blocks' counters in {@link #rowsInFloat}: apart by two cache lines. */
    private static final int PAD = 32;
    private final double[] dgammaPartials;
    private final double[] dbetaPartials;
    /** Per-element parameters: per block, the float partials of the last few fast rows, and how many. */
    private final float[] dgammaFloat;
    private final float[] dbetaFloat;
    private final int[] rowsInFloat;
    /** Walk in memory order: per row its float shift, per slab block and row the five sums, per row the write. */
    private final float[] slabShift;
    private final double[] slabSums;
    private final float[] slabCoef;
    private final double[] slabExact;
    private final byte[] slabWrite;
    private static final byte FAST = 0;
    private static final byte IN_DOUBLE = 1;
    private static final byte DONE = 2;
    private static final int COEF = 6;
    private final Parallel.Task slabSumsTask = this::slabSums;
    private final Parallel.Task slabWriteTask = this::slabWrites;
    /** Contiguous runs with one parameter each: per block and run, sum(dy) and sum(dy * (x - shift)). */
    private final double[] runSums;
    private MemorySegment gamma;
    private MemorySegment x;
    private MemorySegment dy;
    private MemorySegment dx;
    private MemorySegment savedMean;
    private MemorySegment savedScale;

    /**
     * @param layout where the rows lie
     * @param eps    added to the variance; finite and positive
     * @param mode   how the statistics depend on x
     * @param kernels the kernels (see {@link Kernels}); their run kernels serve contiguous runs
     */
    public RowNormBackward(RowLayout layout, double eps, Mode mode, KernelSet kernels) {
        this(layout, eps, mode, kernels, null);
    }

    /**
     * @param layout     where the rows lie
     * @param eps        added to the variance; finite and positive
     * @param mode       how the statistics depend on x
     * @param kernels    the kernels (see {@link Kernels}); their run kernels serve contiguous runs
     * @param paramOrder per element of a row in memory order, the index of its parameter; null for the identity
     *                   (see {@link RowNormForward#RowNormForward(RowLayout, double, boolean, KernelSet, int[])})
     */
    public RowNormBackward(RowLayout layout, double eps, Mode mode, KernelSet kernels, int[] paramOrder) {
        super(layout, kernels, paramOrder);
        this.eps = eps;
        this.mode = mode;
        this.runSums = new double[useKernels() && layout.paramStep() == 0 ? blocks * layout.runs() * 2 : 0];
        this.dgammaPartials = new double[blocks * layout.params()];
        this.dbetaPartials = new double[blocks * layout.params()];
        boolean floatPartials = useKernels() && layout.paramStep() != 0;
        this.dgammaFloat = new float[floatPartials ? blocks * layout.params() : 0];
        this.dbetaFloat = new float[floatPartials ? blocks * layout.params() : 0];
        this.rowsInFloat = new int[blocks * PAD];
        int slabRows = bySlabs ? layout.rows() : 0;
        this.slabShift = new float[slabRows];
        this.slabSums = new double[bySlabs ? slabBlocks * slabRows * SUMS : 0];
        this.slabCoef = new float[slabRows * COEF];
        this.slabExact = new double[slabRows * 4];
        this.slabWrite = new byte[slabRows];
    }

    /**
     * Computes dx and, where the segments are not null, dgamma and dbeta ([params]).
     *
     * @param x               the forward's input
     * @param dy              the gradient of y
     * @param savedMean       float32 [rows]: the forward's mean (FIXED: the running mean); null to recompute
     *                        (CENTRED) or for RMS
     * @param savedScale      float32 [rows]: the forward's invstd / invrms, or null to recompute; FIXED: the running
     *                        variance
     * @param gamma           the scale, or null for 1
     * @param dx              output, the layout of x; may be the memory of dy
     * @param dgamma          output [params], or null
     * @param dbeta           output [params], or null
     * @param parallel        where the blocks run
     */
    public void run(MemorySegment x, MemorySegment dy, MemorySegment savedMean, MemorySegment savedScale,
                    MemorySegment gamma, MemorySegment dx, MemorySegment dgamma, MemorySegment dbeta,
                    Parallel parallel) {
        if (mode == Mode.FIXED && (savedMean == null || savedScale == null)) {
            throw new IllegalArgumentException("statistics: expected the running mean and variance, got none");
        }
        loadParams(gamma, null);
        this.gamma = gamma;
        this.x = x;
        this.dy = dy;
        this.dx = dx;
        this.savedMean = savedMean;
        this.savedScale = savedScale;
        try {
            if (bySlabs && mode != Mode.FIXED) {
                runBySlabs(parallel);
            } else {
                forEachRow(parallel);
            }
        } finally {
            this.x = this.dy = this.dx = this.savedMean = this.savedScale = this.gamma = null;
        }
        if (dgamma != null) {
            reduceBlocks(dgammaPartials, dgamma);
        }
        if (dbeta != null) {
            reduceBlocks(dbetaPartials, dbeta);
        }
    }

    @Override
    void startBlock(int b) {
        int params = layout.params();
        java.util.Arrays.fill(dgammaPartials, b * params, (b + 1) * params, 0.0);
        java.util.Arrays.fill(dbetaPartials, b * params, (b + 1) * params, 0.0);
        if (dgammaFloat.length > 0) {
            java.util.Arrays.fill(dgammaFloat, b * params, (b + 1) * params, 0f);
            java.util.Arrays.fill(dbetaFloat, b * params, (b + 1) * params, 0f);
        }
        rowsInFloat[b * PAD] = 0;
    }

    @Override
    void endBlock(int b) {
        flushFloatPartials(b);
    }

    /** Adds block {@code b}'s float parameter partials into its double partials and clears them. */
    private void flushFloatPartials(int b) {
        if (rowsInFloat[b * PAD] == 0) {
            return;
        }
        int from = b * layout.params();
        runs.addAndClear(dgammaFloat, dgammaPartials, from, layout.params());
        runs.addAndClear(dbetaFloat, dbetaPartials, from, layout.params());
        rowsInFloat[b * PAD] = 0;
    }

    @Override
    void row(int b, int r) {
        if (useKernels()) {
            if (mode == Mode.FIXED || !useFastKernels() || !fastRow(b, r)) {
                rowByKernels(b, r);
            }
            return;
        }
        double n = layout.rowLength();
        double mean;
        double invstd;
        double sumG = 0;
        double sumGxhat = 0;
        switch (mode) {
            case FIXED -> {
                mean = savedMean.getAtIndex(F32, r);
                invstd = 1.0 / Math.sqrt(savedScale.getAtIndex(F32, r) + eps);
            }
            case RMS -> {
                gradSums(r, 0.0, b);
                double ms = sums[b * SLOT + 1] / n;
                invstd = 1.0 / Math.sqrt(ms + eps);
                if (savedScale != null) {
                    invstd = refineSaved(savedScale.getAtIndex(F32, r), invstd);
                }
                mean = 0;
                sumGxhat = sums[b * SLOT + 3] * invstd;
            }
            default -> {
                double shift = savedMean != null ? savedMean.getAtIndex(F32, r) : firstMean(r, b);
                gradSums(r, shift, b);
                double s = sums[b * SLOT];
                mean = shift + s / n;
                double variance = Math.max((sums[b * SLOT + 1] - s * (s / n)) / n, 0.0);
                invstd = 1.0 / Math.sqrt(variance + eps);
                if (savedScale != null) {
                    invstd = refineSaved(savedScale.getAtIndex(F32, r), invstd);
                }
                sumG = sums[b * SLOT + 2];
                // sum g * (x - mean) = sum g * (x - shift) - (mean - shift) * sum g
                sumGxhat = (sums[b * SLOT + 3] - (mean - shift) * sumG) * invstd;
            }
        }
        write(b, r, mean, invstd, sumG / n, sumGxhat / n);
    }

    /**
     * {@link #row} through the run kernels: one read of x and dy for the sums (per-run parameters: the sums of dy
     * are kept per run and scaled by the run's gamma), one for the write.
     */
    private void rowByKernels(int b, int r) {
        double n = layout.rowLength();
        int at = b * SLOT;
        boolean perRun = layout.paramStep() == 0;
        double shift;
        if (mode == Mode.FIXED) {
            shift = savedMean.getAtIndex(F32, r);
        } else if (mode == Mode.RMS) {
            shift = 0;
        } else {
            shift = savedMean != null ? savedMean.getAtIndex(F32, r) : firstMean(r, b);
        }
        java.util.Arrays.fill(sums, at, at + SUMS, 0.0);
        long len = layout.runLength();
        int runBase = b * layout.runs() * 2;
        for (int k = 0; k < layout.runs(); k++) {
            long start = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            if (perRun) {
                double sg = sums[at + 2];
                double sgd = sums[at + 3];
                sums[at + 2] = 0;
                sums[at + 3] = 0;
                runs.gradSums(x, dy, start, len, shift, null, 0, sums, at);
                runSums[runBase + 2 * k] = sums[at + 2];
                runSums[runBase + 2 * k + 1] = sums[at + 3];
                sums[at + 2] = sg + gammaValues[p] * sums[at + 2];
                sums[at + 3] = sgd + gammaValues[p] * sums[at + 3];
            } else {
                runs.gradSums(x, dy, start, len, shift, gammaSegment, p, sums, at);
            }
        }
        double mean;
        double invstd;
        double meanG = 0;
        double meanGxhat = 0;
        if (mode == Mode.FIXED) {
            mean = shift;
            invstd = 1.0 / Math.sqrt(savedScale.getAtIndex(F32, r) + eps);
        } else if (mode == Mode.RMS) {
            mean = 0;
            invstd = 1.0 / Math.sqrt(sums[at + 1] / n + eps);
            if (savedScale != null) {
                invstd = refineSaved(savedScale.getAtIndex(F32, r), invstd);
            }
            meanGxhat = sums[at + 3] * invstd / n;
        } else {
            double s = sums[at];
            mean = shift + s / n;
            double variance = Math.max((sums[at + 1] - s * (s / n)) / n, 0.0);
            invstd = 1.0 / Math.sqrt(variance + eps);
            if (savedScale != null) {
                invstd = refineSaved(savedScale.getAtIndex(F32, r), invstd);
            }
            meanG = sums[at + 2] / n;
            meanGxhat = (sums[at + 3] - (mean - shift) * sums[at + 2]) * invstd / n;
        }
        int paramBase = b * layout.params();
        for (int k = 0; k < layout.runs(); k++) {
            long start = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            if (perRun) {
                double sumDy = runSums[runBase + 2 * k];
                double sumDyD = runSums[runBase + 2 * k + 1];
                dbetaPartials[paramBase + p] += sumDy;
                dgammaPartials[paramBase + p] += (sumDyD - (mean - shift) * sumDy) * invstd;
                runs.gradInput(x, dy, dx, start, len, mean, invstd, gammaValues[p], meanG, meanGxhat);
            } else {
                runs.gradInputEach(x, dy, dx, start, len, mean, invstd, gammaSegment, p, meanG, meanGxhat,
                        dgammaPartials, dbetaPartials, paramBase + p);
            }
        }
    }

    /**
     * Row {@code r} through the fast kernels: one read of x and dy for the sums, centred on the saved mean rounded
     * to float (or the first elements' mean), one for the float write. Returns false, having written nothing,
     * when the sums cannot be trusted (overflow, subnormal squares, NaN, a shift far from the mean) or dx keeps less
     * than {@link #MIN_KEPT} of its terms' raw size, so that the float sums' error (about 1e-7 of the terms) could
     * grow past a few 1e-7 of dx: the exact path then does the row. The write falls back to double where a float it
     * forms could leave the normal range.
     */
    private boolean fastRow(int b, int r) {
        double n = layout.rowLength();
        int at = b * SLOT;
        boolean perRun = layout.paramStep() == 0;
        boolean centredMode = mode == Mode.CENTRED;
        float shift = !centredMode ? 0f
                : (float) (savedMean != null ? savedMean.getAtIndex(F32, r) : probeMean(x, r));
        java.util.Arrays.fill(sums, at, at + SUMS, 0.0);
        long len = layout.runLength();
        int runBase = b * layout.runs() * 2;
        double sumDySq = 0;
        for (int k = 0; k < layout.runs(); k++) {
            long start = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            if (perRun) {
                double sg = sums[at + 2];
                double sgd = sums[at + 3];
                double sgg = sums[at + 4];
                sums[at + 2] = 0;
                sums[at + 3] = 0;
                sums[at + 4] = 0;
                runs.fastGradSums(x, dy, start, len, shift, null, 0, sums, at);
                double gk = gammaValues[p];
                runSums[runBase + 2 * k] = sums[at + 2];
                runSums[runBase + 2 * k + 1] = sums[at + 3];
                sumDySq += sums[at + 4];
                sums[at + 2] = sg + gk * sums[at + 2];
                sums[at + 3] = sgd + gk * sums[at + 3];
                sums[at + 4] = sgg + gk * gk * sums[at + 4];
            } else {
                runs.fastGradSums(x, dy, start, len, shift, gammaFloats, p, sums, at);
            }
        }
        double s = sums[at];
        double q = sums[at + 1];
        double sg = sums[at + 2];
        double sgd = sums[at + 3];
        double sgg = sums[at + 4];
        if (centredMode && !(s * s <= FAR_FROM_MEAN * n * q)) {
            return false;
        }
        if (runs.sumsInFloat() && !(trustedSquares(q)
                && Math.abs(sg) + Math.abs(sgd) + sgg + sumDySq <= Float.MAX_VALUE * 0.5)) {
            return false;
        }
        double mean = centredMode ? shift + s / n : 0;
        double variance = centredMode ? Math.max((q - s * (s / n)) / n, 0.0) : q / n;
        double invstd = 1.0 / Math.sqrt(variance + eps);
        if (savedScale != null) {
            invstd = refineSaved(savedScale.getAtIndex(F32, r), invstd);
        }
        // sum g * (x - mean) = sum g * (x - shift) - (mean - shift) * sum g
        double sumGx = sgd - (mean - shift) * sg;
        double kept = keptOfRaw(n, sg, sumGx, sgg, variance, invstd, centredMode);
        if (runs.sumsInFloat() && !(kept >= MIN_KEPT)) {
            return false;
        }
        double meanG = centredMode ? sg / n : 0;
        double meanGxhat = sumGx * invstd / n;
        int paramBase = b * layout.params();
        if (perRun) {
            for (int kk = 0; kk < layout.runs(); kk++) {
                int p = layout.runParam(r, kk);
                double sumDy = runSums[runBase + 2 * kk];
                double sumDyD = runSums[runBase + 2 * kk + 1];
                dbetaPartials[paramBase + p] += sumDy;
                dgammaPartials[paramBase + p] += (sumDyD - (mean - shift) * sumDy) * invstd;
            }
        }
        if (!floatWriteFits(n, mean, invstd, variance, sgg, kept)) {
            writeExact(b, r, mean, invstd, meanG, meanGxhat);
            return true;
        }
        float meanF = (float) mean;
        float invF = (float) invstd;
        float corr = (float) ((mean - meanF) * invstd);
        float meanGF = (float) meanG;
        float mgxF = (float) meanGxhat;
        for (int kk = 0; kk < layout.runs(); kk++) {
            long start = layout.runStart(r, kk);
            int p = layout.runParam(r, kk);
            if (perRun) {
                runs.fastGradInputRun(x, dy, dx, start, len, meanF, invF, corr, meanGF, mgxF, gammaFloats[p]);
            } else {
                runs.fastGradInput(x, dy, dx, start, len, meanF, invF, corr, meanGF, mgxF, gammaFloats, p,
                        dgammaFloat, dbetaFloat, paramBase + p);
            }
        }
        if (!perRun && ++rowsInFloat[b * PAD] == FLOAT_PARTIAL_ROWS) {
            flushFloatPartials(b);
        }
        return true;
    }

    /**
     * The walk in memory order: the fast sums of every run (dy unscaled: one gamma per row), slab by slab, into
     * per-slab-block partials; per row, the partials added in slab-block order and checked as in {@link #fastRow}
     * (a row they cannot serve goes through the exact path alone), the parameter gradients taken from the sums;
     * then the writes, slab by slab. Every row's parameter partials go to block 0.
     */
    private void runBySlabs(Parallel parallel) {
        int rows = layout.rows();
        boolean centredMode = mode == Mode.CENTRED;
        for (int r = 0; r < rows; r++) {
            slabShift[r] = !centredMode ? 0f
                    : (float) (savedMean != null ? savedMean.getAtIndex(F32, r) : probeMean(x, r));
        }
        forEachSlabBlock(parallel, slabSumsTask);
        for (int b = 0; b < blocks; b++) {
            startBlock(b);
        }
        double n = layout.rowLength();
        for (int r = 0; r < rows; r++) {
            double s = 0;
            double q = 0;
            double sumDy = 0;
            double sumDyD = 0;
            double sumDySq = 0;
            for (int sb = 0; sb < slabBlocks; sb++) {
                int at = (sb * rows + r) * SUMS;
                s += slabSums[at];
                q += slabSums[at + 1];
                sumDy += slabSums[at + 2];
                sumDyD += slabSums[at + 3];
                sumDySq += slabSums[at + 4];
            }
            slabWrite[r] = DONE;
            int p = layout.runParam(r, 0);
            double gk = gammaValues[p];
            double sg = gk * sumDy;
            double sgd = gk * sumDyD;
            double sgg = gk * gk * sumDySq;
            float shift = slabShift[r];
            if ((centredMode && !(s * s <= FAR_FROM_MEAN * n * q)) || (runs.sumsInFloat() && !(trustedSquares(q)
                    && Math.abs(sg) + Math.abs(sgd) + sgg + sumDySq <= Float.MAX_VALUE * 0.5))) {
                rowByKernels(0, r);
                continue;
            }
            double mean = centredMode ? shift + s / n : 0;
            double variance = centredMode ? Math.max((q - s * (s / n)) / n, 0.0) : q / n;
            double invstd = 1.0 / Math.sqrt(variance + eps);
            if (savedScale != null) {
                invstd = refineSaved(savedScale.getAtIndex(F32, r), invstd);
            }
            double sumGx = sgd - (mean - shift) * sg;
            double kept = keptOfRaw(n, sg, sumGx, sgg, variance, invstd, centredMode);
            if (runs.sumsInFloat() && !(kept >= MIN_KEPT)) {
                rowByKernels(0, r);
                continue;
            }
            dbetaPartials[p] += sumDy;
            dgammaPartials[p] += (sumDyD - (mean - shift) * sumDy) * invstd;
            double meanG = centredMode ? sg / n : 0;
            double meanGxhat = sumGx * invstd / n;
            if (floatWriteFits(n, mean, invstd, variance, sgg, kept)) {
                int c = r * COEF;
                float meanF = (float) mean;
                slabCoef[c] = meanF;
                slabCoef[c + 1] = (float) invstd;
                slabCoef[c + 2] = (float) ((mean - meanF) * invstd);
                slabCoef[c + 3] = (float) meanG;
                slabCoef[c + 4] = (float) meanGxhat;
                slabCoef[c + 5] = gammaFloats[p];
                slabWrite[r] = FAST;
            } else {
                slabExact[r * 4] = mean;
                slabExact[r * 4 + 1] = invstd;
                slabExact[r * 4 + 2] = meanG;
                slabExact[r * 4 + 3] = meanGxhat;
                slabWrite[r] = IN_DOUBLE;
            }
        }
        forEachSlabBlock(parallel, slabWriteTask);
    }

    private void slabSums(int from, int to) {
        for (int sb = from; sb < to; sb++) {
            slabBlockSums(sb, x, dy, true, slabShift, slabSums);
        }
    }

    private void slabWrites(int from, int to) {
        int rows = layout.rows();
        long len = layout.runLength();
        for (int sb = from; sb < to; sb++) {
            for (int k = firstSlab(sb); k < firstSlab(sb + 1); k++) {
                for (int r = 0; r < rows; r++) {
                    long start = layout.runStart(r, k);
                    if (slabWrite[r] == FAST) {
                        int c = r * COEF;
                        runs.fastGradInputRun(x, dy, dx, start, len, slabCoef[c], slabCoef[c + 1], slabCoef[c + 2],
                                slabCoef[c + 3], slabCoef[c + 4], slabCoef[c + 5]);
                    } else if (slabWrite[r] == IN_DOUBLE) {
                        int e = r * 4;
                        runs.gradInput(x, dy, dx, start, len, slabExact[e], slabExact[e + 1],
                                gammaValues[layout.runParam(r, k)], slabExact[e + 2], slabExact[e + 3]);
                    }
                }
            }
        }
    }

    /**
     * The part of its terms' raw size, sum(g^2), that dx keeps: sum(dx^2) / invstd^2 = sum((g - meanG)^2)
     * - 2 k sumGx + k^2 n variance with k = invstd^2 sumGx / n (no meanG for RMS); 1 when g is all 0.
     */
    private static double keptOfRaw(double n, double sg, double sumGx, double sgg, double variance, double invstd,
                                    boolean centredMode) {
        double centredG = centredMode ? sgg - sg * (sg / n) : sgg;
        double k = invstd * (invstd * (sumGx / n));
        return sgg == 0 ? 1 : (centredG - 2 * k * sumGx + k * k * n * variance) / sgg;
    }

    /** Whether the fast write keeps every float it forms normal and finite and dx keeps enough of its terms. */
    private boolean floatWriteFits(double n, double mean, double invstd, double variance, double sgg, double kept) {
        return fastWriteFits(mean, invstd, variance) && sgg * invstd * invstd <= 0x1p200 && sgg <= 0x1p200
                && kept >= MIN_KEPT && kept * sgg * invstd * invstd / n >= 0x1p-200;
    }

    /**
     * The exact write of a row whose sums are known: dx in double through the exact run kernels, with the
     * per-element parameter partials (per-run ones were added from the sums).
     */
    private void writeExact(int b, int r, double mean, double invstd, double meanG, double meanGxhat) {
        long len = layout.runLength();
        int paramBase = b * layout.params();
        for (int k = 0; k < layout.runs(); k++) {
            long start = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            if (layout.paramStep() == 0) {
                runs.gradInput(x, dy, dx, start, len, mean, invstd, gammaValues[p], meanG, meanGxhat);
            } else {
                runs.gradInputEach(x, dy, dx, start, len, mean, invstd, gammaSegment, p, meanG, meanGxhat,
                        dgammaPartials, dbetaPartials, paramBase + p);
            }
        }
    }

    /** The row's mean, from two centred sums (no saved mean to centre on). */
    private double firstMean(int r, int b) {
        double shift = probeMean(x, r);
        centredSums(x, r, shift, b);
        return shift + sums[b * SLOT] / layout.rowLength();
    }

    /** sum(x - shift), sum((x - shift)^2), sum(g), sum(g * (x - shift)) into {@code sums[b * SLOT ...]}. */
    private void gradSums(int r, double shift, int b) {
        long len = layout.runLength();
        long stride = layout.stride();
        int step = layout.paramStep();
        double s = 0;
        double sq = 0;
        double sg = 0;
        double sgx = 0;
        for (int k = 0; k < layout.runs(); k++) {
            long at = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            for (long j = 0; j < len; j++, at += stride, p += step) {
                double d = x.getAtIndex(F32, at) - shift;
                double g = dy.getAtIndex(F32, at) * gammaValues[p];
                s += d;
                sq += d * d;
                sg += g;
                sgx += g * d;
            }
        }
        sums[b * SLOT] = s;
        sums[b * SLOT + 1] = sq;
        sums[b * SLOT + 2] = sg;
        sums[b * SLOT + 3] = sgx;
    }

    /** dx = invstd * (g - meanG - xhat * meanGxhat), and the parameter partials of block {@code b}. */
    private void write(int b, int r, double mean, double invstd, double meanG, double meanGxhat) {
        long len = layout.runLength();
        long stride = layout.stride();
        int step = layout.paramStep();
        int base = b * layout.params();
        boolean coupled = mode != Mode.FIXED;
        for (int k = 0; k < layout.runs(); k++) {
            long at = layout.runStart(r, k);
            int p = layout.runParam(r, k);
            for (long j = 0; j < len; j++, at += stride, p += step) {
                double d = dy.getAtIndex(F32, at);
                double xhat = (x.getAtIndex(F32, at) - mean) * invstd;
                dgammaPartials[base + p] += d * xhat;
                dbetaPartials[base + p] += d;
                double g = d * gammaValues[p];
                double v = coupled ? invstd * (g - meanG - xhat * meanGxhat) : invstd * g;
                dx.setAtIndex(F32, at, (float) v);
            }
        }
    }
}
