package dev.ingot.ops.norm.kernel;

/**
 * Where the elements of each normalized row lie, and which affine parameter each one uses, for the norms that
 * {@link RowNormPass} runs (GroupNorm, LayerNorm, RMSNorm, BatchNorm) in either layout.
 *
 * <p>A <em>row</em> is the set of elements one mean and one variance are taken over: a (batch entry, group) of
 * GroupNorm, a leading index of LayerNorm / RMSNorm, a channel of BatchNorm. A row is {@code runs} runs of
 * {@code runLength} elements {@code stride} apart; run k of row r starts at
 * <pre>
 *   (r / rowsPerOuter) * outerStride + (r % rowsPerOuter) * innerStride + k * runStep
 * </pre>
 * and element j of that run uses parameter {@code (r % rowsPerOuter) * paramPerInner + k * paramPerRun +
 * j * paramStep}. Offsets are in elements. Immutable.
 *
 * @param rows          number of rows
 * @param rowsPerOuter  rows that share one outer block (e.g. G groups of one batch entry)
 * @param outerStride   elements between outer blocks
 * @param innerStride   elements between consecutive rows of one outer block
 * @param runs          runs per row
 * @param runStep       elements between consecutive runs of a row
 * @param runLength     elements per run
 * @param stride        elements between consecutive elements of a run
 * @param params        number of affine parameters (length of gamma / beta)
 * @param paramPerInner parameter offset between consecutive rows of an outer block
 * @param paramPerRun   parameter offset between consecutive runs
 * @param paramStep     parameter offset between consecutive elements of a run (0 or 1)
 */
public record RowLayout(int rows, int rowsPerOuter, long outerStride, long innerStride, int runs, long runStep,
                        long runLength, long stride, int params, int paramPerInner, int paramPerRun,
                        int paramStep) {

    /** Largest row count: per-row statistics live in arrays. */
    public static final int MAX_ROWS = Integer.MAX_VALUE / 8;

    /**
     * @throws IllegalArgumentException when a count is not positive or the row count is too large
     */
    public RowLayout {
        if (rows < 1 || rowsPerOuter < 1 || runs < 1 || runLength < 1 || stride < 1 || params < 1
                || rows > MAX_ROWS) {
            throw new IllegalArgumentException("row layout: expected positive counts and rows <= " + MAX_ROWS
                    + ", got rows=" + rows + " runs=" + runs + " runLength=" + runLength + " params=" + params);
        }
    }

    /**
     * GroupNorm: [N, C, spatial] in NCHW or channels-last, G groups of C / G channels.
     *
     * @param batch        N
     * @param channels     C
     * @param spatial      elements per channel plane
     * @param groups       G, dividing C
     * @param channelsLast whether x is channels-last
     * @return the layout: N * G rows of (C / G) * spatial elements, per-channel parameters
     */
    public static RowLayout groups(int batch, int channels, long spatial, int groups, boolean channelsLast) {
        int perGroup = channels / groups;
        int rows = Math.multiplyExact(batch, groups);
        if (channelsLast) {
            return new RowLayout(rows, groups, spatial * channels, perGroup, Math.toIntExact(spatial), channels,
                    perGroup, 1, channels, perGroup, 0, 1);
        }
        return new RowLayout(rows, groups, spatial * channels, perGroup * spatial, perGroup, spatial, spatial, 1,
                channels, perGroup, 1, 0);
    }

    /**
     * LayerNorm / RMSNorm: {@code rows} contiguous rows of {@code length} elements, per-element parameters.
     *
     * @param rows   product of the leading dimensions
     * @param length product of the normalized (trailing) dimensions
     * @return the layout
     */
    public static RowLayout trailing(int rows, long length) {
        return new RowLayout(rows, 1, length, 0, 1, 0, length, 1, Math.toIntExact(length), 0, 0, 1);
    }

    /**
     * BatchNorm: one row per channel over the batch and the spatial positions, per-channel parameters.
     *
     * @param batch        N
     * @param channels     C
     * @param spatial      elements per channel plane
     * @param channelsLast whether x is channels-last
     * @return the layout: C rows of N * spatial elements
     */
    public static RowLayout channels(int batch, int channels, long spatial, boolean channelsLast) {
        if (channelsLast) {
            return new RowLayout(channels, channels, 0, 1, batch, spatial * channels, spatial, channels, channels,
                    1, 0, 0);
        }
        return new RowLayout(channels, channels, 0, spatial, batch, spatial * channels, spatial, 1, channels, 1, 0,
                0);
    }

    /** @return elements per row */
    public long rowLength() {
        return runs * runLength;
    }

    long runStart(int row, int run) {
        return (long) (row / rowsPerOuter) * outerStride + (long) (row % rowsPerOuter) * innerStride
                + (long) run * runStep;
    }

    int runParam(int row, int run) {
        return (row % rowsPerOuter) * paramPerInner + run * paramPerRun;
    }
}
