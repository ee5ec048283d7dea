package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the row-norm passes share: the cut of the rows into blocks, the parameter copies and the per-block
 * parameter-gradient partials, and the fixed-order reduction that makes the outputs independent of the thread
 * count.
 *
 * <p>The rows are cut into {@link #blocks} consecutive blocks, a number that depends only on the layout. A block's
 * rows run in order on one thread; parameter gradients are summed per block into {@code double} partials and the
 * partials are added in block order after the join, so any thread count gives bitwise the same result. A pass owns
 * its scratch, sized at construction; one {@code run} at a time; runs allocate nothing.
 */
abstract class RowPass {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Most blocks: enough to spread over any executor, few enough to keep the partials small. */
    private static final int MAX_BLOCKS = 64;
    /** Most doubles of parameter partials per array: blocks shrink for very long parameter vectors. */
    private static final long MAX_PARTIALS = 1L << 20;

    final RowLayout layout;
    /** The run kernels, for layouts whose runs are contiguous. */
    final RunKernels runs;
    /** Whether each run is contiguous (stride 1), so the run kernels apply. */
    final boolean contiguous;
    final int blocks;
    /** gamma and beta as doubles (1 and 0 when absent), copied once per run. */
    final double[] gammaValues;
    final double[] betaValues;
    /** gamma and beta as floats (1 and 0 when absent), for the fast kernels. */
    final float[] gammaFloats;
    final float[] betaFloats;
    /**
     * Whether every nonzero gamma and beta lies within 2^-60 .. 2^60, so that the fast writes' products stay normal
     * and finite (set by {@link #loadParams}).
     */
    boolean paramsInFloatRange;
    /** Per block, {@link #SUMS} running sums of the row in progress (a block's rows run on one thread). */
    final double[] sums;
    static final int SUMS = 5;
    /**
     * Doubles between two blocks' {@link #sums}: two cache lines, so that threads working on neighbouring blocks
     * never write the same line.
     */
    static final int SLOT = 16;
    /**
     * The fast sums of a row centred on a shift more than about half a standard deviation from its mean
     * ({@code sum^2 > n * sumSq / 5}) lose digits to the shift: such a row is summed again.
     */
    static final double FAR_FROM_MEAN = 0.2;
    /** The largest |mean - (float) mean| * invstd the fast writes take: the float terms they cancel stay small. */
    static final double MAX_MEAN_ROUNDING = 4;
    /** Runs of one row shorter than this go through the plain loops: a kernel call per few elements costs more. */
    static final long MIN_KERNEL_RUN = 16;
    /** Elements at the start of a row whose mean is the first centring shift. */
    private static final long PROBE = 64;
    private final Parallel.Task blockTask = this::blocksRange;
    /** Runs shorter than this, when every row has one run in each slab, are walked slab by slab. */
    static final long SLAB_RUN = 256;
    /**
     * Whether the rows are walked in memory order, slab by slab (see {@link #slabs}), rather than a row at a time:
     * BatchNorm over NCHW with small planes, where a row's runs are short and far apart.
     */
    final boolean bySlabs;
    /** Blocks of consecutive slabs for the walk in memory order; a number that depends only on the layout. */
    final int slabBlocks;

    /**
     * Where each parameter sits: element j of a row (in memory order) uses parameter {@code paramOrder[j]}, or
     * null when that is j itself (channels-last LayerNorm keeps C innermost while gamma is [C, spatial...]).
     */
    private final int[] paramOrder;
    /** {@link #gammaFloats} and {@link #betaFloats} as segments, for the exact kernels. */
    final MemorySegment gammaSegment;
    final MemorySegment betaSegment;

    RowPass(RowLayout layout, KernelSet kernels, int[] paramOrder) {
        if (paramOrder != null && (paramOrder.length != layout.params() || layout.paramStep() != 1)) {
            throw new IllegalArgumentException("paramOrder: expected " + layout.params()
                    + " entries for per-element parameters, got " + paramOrder.length);
        }
        this.paramOrder = paramOrder;
        this.layout = layout;
        this.runs = kernels.runs();
        this.contiguous = layout.stride() == 1;
        long byParams = Math.max(1, MAX_PARTIALS / layout.params());
        this.blocks = (int) Math.min(Math.min(layout.rows(), MAX_BLOCKS), byParams);
        this.gammaValues = new double[layout.params()];
        this.betaValues = new double[layout.params()];
        this.gammaFloats = new float[layout.params()];
        this.betaFloats = new float[layout.params()];
        this.gammaSegment = MemorySegment.ofArray(gammaFloats);
        this.betaSegment = MemorySegment.ofArray(betaFloats);
        this.sums = new double[blocks * SLOT];
        this.bySlabs = useFastKernels() && layout.paramStep() == 0 && layout.runs() > 1
                && layout.rowsPerOuter() == layout.rows() && layout.innerStride() == layout.runLength()
                && layout.runStep() == layout.rows() * layout.runLength() && layout.runLength() < SLAB_RUN;
        this.slabBlocks = Math.min(layout.runs(), MAX_SLAB_BLOCKS);
        int perSlabBlock = layout.rows() * SUMS * runs.lanesPerSum();
        this.slabLanes = bySlabs && runs.lanesPerSum() > 0 && (long) slabBlocks * perSlabBlock <= MAX_LANE_FLOATS
                ? new float[slabBlocks * perSlabBlock] : null;
        long vectorsPerRun = Math.max(1, layout.runLength() / Math.max(1, runs.lanesPerSum()));
        this.slabsPerFlush = (int) Math.max(1, TERMS_PER_LANE / vectorsPerRun);
    }

    /** Most blocks of slabs: two threads' worth of work with room to balance, few lane accumulators. */
    private static final int MAX_SLAB_BLOCKS = 16;
    /** Most floats of lane accumulators for the walk in memory order (beyond, each run reduces its own lanes). */
    private static final long MAX_LANE_FLOATS = 1L << 23;
    /** Terms a float lane accumulator takes before it is flushed into double. */
    private static final int TERMS_PER_LANE = 16;
    /**
     * Per slab block and row, {@link #SUMS} float lane accumulators of the fast sums ({@link RunKernels#lanesPerSum}
     * floats each), or null (the scalar kernels, or too many rows).
     */
    final float[] slabLanes;
    /** Slabs after which the lane accumulators are flushed, so that each lane adds at most about 16 terms. */
    final int slabsPerFlush;

    /**
     * Adds the fast sums of every run of slab block {@code sb} into {@code acc[(sb * rows + r) * SUMS ...]}: two
     * sums ({@code grad} false: of x) or five ({@code grad} true: of x and dy, dy unscaled) per row, through lane
     * accumulators where there are any.
     */
    final void slabBlockSums(int sb, MemorySegment x, MemorySegment dy, boolean grad, float[] shifts, double[] acc) {
        int rows = layout.rows();
        long len = layout.runLength();
        int count = grad ? 5 : 2;
        int laneStride = SUMS * runs.lanesPerSum();
        int laneBase = sb * rows * laneStride;
        java.util.Arrays.fill(acc, sb * rows * SUMS, (sb + 1) * rows * SUMS, 0.0);
        if (slabLanes != null) {
            java.util.Arrays.fill(slabLanes, laneBase, laneBase + rows * laneStride, 0f); // after a failed run too
        }
        int first = firstSlab(sb);
        int end = firstSlab(sb + 1);
        for (int k = first; k < end; k++) {
            for (int r = 0; r < rows; r++) {
                long start = layout.runStart(r, k);
                int at = (sb * rows + r) * SUMS;
                if (slabLanes == null) {
                    if (grad) {
                        runs.fastGradSums(x, dy, start, len, shifts[r], null, 0, acc, at);
                    } else {
                        runs.fastSums(x, start, len, shifts[r], acc, at);
                    }
                } else if (grad) {
                    runs.fastGradSumsInto(x, dy, start, len, shifts[r], slabLanes, laneBase + r * laneStride, acc, at);
                } else {
                    runs.fastSumsInto(x, start, len, shifts[r], slabLanes, laneBase + r * laneStride, acc, at);
                }
            }
            if (slabLanes != null && ((k - first + 1) % slabsPerFlush == 0 || k == end - 1)) {
                for (int r = 0; r < rows; r++) {
                    runs.flushLanes(slabLanes, laneBase + r * laneStride, count, acc, (sb * rows + r) * SUMS);
                }
            }
        }
    }

    /**
     * A <em>slab</em> is the k-th run of every row, which then lie one after another in memory (BatchNorm over
     * NCHW: slab k is batch entry k). Runs {@code task} over every block of slabs on {@code parallel}.
     */
    final void forEachSlabBlock(Parallel parallel, Parallel.Task task) {
        parallel.forRange(slabBlocks, 1, task);
    }

    /** The first slab of slab block {@code sb}. */
    final int firstSlab(int sb) {
        return (int) ((long) sb * layout.runs() / slabBlocks);
    }

    /** The mean of the first (up to {@value #PROBE}) elements of row {@code r}. */
    final double probeMean(MemorySegment x, int r) {
        long start = layout.runStart(r, 0);
        long count = Math.min(PROBE, layout.runLength());
        double s = 0;
        for (long j = 0; j < count; j++) {
            s += x.getAtIndex(F32, start + j * layout.stride());
        }
        return s / count;
    }

    /** Whether the rows go through the fast run kernels (which take runs of at most 2^30 elements). */
    final boolean useFastKernels() {
        return useKernels() && layout.runLength() <= 1L << 30;
    }

    /** Whether row {@code r}'s runs go through the run kernels. */
    final boolean useKernels() {
        return contiguous && layout.runLength() >= MIN_KERNEL_RUN;
    }

    /** Writes sum(x - shift) and sum((x - shift)^2) over row {@code r} to {@code sums[b * SLOT + 0, 1]}. */
    final void centredSums(MemorySegment x, int r, double shift, int b) {
        if (useKernels()) {
            sums[b * SLOT] = 0;
            sums[b * SLOT + 1] = 0;
            for (int k = 0; k < layout.runs(); k++) {
                runs.sums(x, layout.runStart(r, k), layout.runLength(), shift, sums, b * SLOT);
            }
            return;
        }
        long len = layout.runLength();
        long stride = layout.stride();
        double s = 0;
        double sq = 0;
        for (int k = 0; k < layout.runs(); k++) {
            long at = layout.runStart(r, k);
            for (long j = 0; j < len; j++, at += stride) {
                double d = x.getAtIndex(F32, at) - shift;
                s += d;
                sq += d * d;
            }
        }
        sums[b * SLOT] = s;
        sums[b * SLOT + 1] = sq;
    }

    /** Returns mean(x^2) over row {@code r}. */
    final double meanSquare(MemorySegment x, int r) {
        if (useKernels()) {
            double sq = 0;
            for (int k = 0; k < layout.runs(); k++) {
                sq += runs.sumSquares(x, layout.runStart(r, k), layout.runLength());
            }
            return sq / layout.rowLength();
        }
        long len = layout.runLength();
        long stride = layout.stride();
        double sq = 0;
        for (int k = 0; k < layout.runs(); k++) {
            long at = layout.runStart(r, k);
            for (long j = 0; j < len; j++, at += stride) {
                double v = x.getAtIndex(F32, at);
                sq += v * v;
            }
        }
        return sq / layout.rowLength();
    }

    /** Copies the parameters (or 1 and 0) into {@link #gammaValues} and {@link #betaValues}. */
    final void loadParams(MemorySegment gamma, MemorySegment beta) {
        boolean inRange = true;
        for (int p = 0; p < gammaValues.length; p++) {
            int at = paramOrder == null ? p : paramOrder[p];
            float g = gamma == null ? 1.0f : gamma.getAtIndex(F32, at);
            float b = beta == null ? 0.0f : beta.getAtIndex(F32, at);
            gammaFloats[p] = g;
            betaFloats[p] = b;
            gammaValues[p] = g;
            betaValues[p] = b;
            inRange &= inFloatRange(g) && inFloatRange(b);
        }
        paramsInFloatRange = inRange;
    }

    private static boolean inFloatRange(float v) {
        float a = Math.abs(v);
        return a == 0 || (a >= 0x1p-60f && a <= 0x1p60f);
    }

    /**
     * Whether the fast writes keep every float they form normal and finite for a row with this invstd, mean and
     * variance: invstd and the mean's rounding times invstd moderate, and the parameters in range.
     */
    final boolean fastWriteFits(double mean, double invstd, double variance) {
        double invSq = invstd * invstd;
        return paramsInFloatRange && invSq >= 0x1p-200 && invSq <= 0x1p200
                && layout.rowLength() * variance * invSq <= 0x1p100
                && Math.abs(mean - (float) mean) * invstd <= MAX_MEAN_ROUNDING;
    }

    /** Whether a row's fast sum of squares {@code sumSq} can be trusted: no overflow, no subnormal terms. */
    static boolean trustedSquares(double sumSq) {
        return sumSq >= 0x1p-100 && sumSq <= Float.MAX_VALUE * 0.5;
    }

    /** Runs {@link #row} over every row, block by block, on {@code parallel}. */
    final void forEachRow(Parallel parallel) {
        parallel.forRange(blocks, 1, blockTask);
    }

    private void blocksRange(int from, int to) {
        for (int b = from; b < to; b++) {
            int first = firstRow(b);
            int end = firstRow(b + 1);
            startBlock(b);
            for (int r = first; r < end; r++) {
                row(b, r);
            }
            endBlock(b);
        }
    }

    /** Called after the last row of block {@code b}, on the thread that ran it. */
    void endBlock(int b) {
    }

    private int firstRow(int block) {
        return (int) ((long) block * layout.rows() / blocks);
    }

    /** Called before the first row of block {@code b}, on the thread that runs it. */
    void startBlock(int b) {
    }

    /** Processes row {@code r} of block {@code b}. */
    abstract void row(int b, int r);

    /** Writes the sum over blocks (in block order) of {@code partials[b * params + p]} to {@code out[p]}. */
    final void reduceBlocks(double[] partials, MemorySegment out) {
        int params = layout.params();
        for (int p = 0; p < params; p++) {
            double s = 0;
            for (int b = 0; b < blocks; b++) {
                s += partials[b * params + p];
            }
            out.setAtIndex(F32, paramOrder == null ? p : paramOrder[p], (float) s);
        }
    }

    /**
     * The saved inverse deviation to use: the value computed from x when the saved one is its float32 rounding
     * (so that rounding costs nothing), else the saved one as given.
     */
    static double refineSaved(double saved, double exact) {
        return Math.abs(saved - exact) <= Math.ulp((float) exact) ? exact : saved;
    }
}
