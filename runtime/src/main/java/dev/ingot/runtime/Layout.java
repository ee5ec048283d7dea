package dev.ingot.runtime;

/**
 * How a tensor's logical {@code [N, C, spatial...]} elements are placed in memory.
 *
 * <p>Whatever the layout, a {@link Shape} is always the logical one. Let {@code S} be the product of the spatial
 * dimensions (1 for rank 2). The element {@code (n, c, s)} lives at element offset:
 * <ul>
 *   <li>{@link #NCHW}: {@code (n * C + c) * S + s} — dense row-major, any rank;</li>
 *   <li>{@link #CHANNELS_LAST}: {@code (n * S + s) * C + c} — NLC, NHWC, NDHWC; rank 2 or more;</li>
 *   <li>{@link #NC4HW4}: {@code ((n * ceil(C/4) + c/4) * S + s) * 4 + c % 4} — MNN's packed layout, channels in
 *       blocks of 4; the padding lanes of the last block (when C is not a multiple of 4) hold zeros after a
 *       conversion and take memory: storage is {@code N * 4 * ceil(C/4) * S} elements.</li>
 * </ul>
 * Conversions: {@link LayoutConverter} and {@link Tensor#convertTo(Layout)}.
 */
public enum Layout {
    /** Dense, row-major over the logical dimensions, any rank. */
    NCHW,
    /** Channels innermost: NLC / NHWC / NDHWC. Needs rank 2 or more. */
    CHANNELS_LAST,
    /** MNN's packed layout {@code [N, C/4, spatial..., 4]}. Needs rank 2 or more. */
    NC4HW4;

    /** Channels per block for {@link #NC4HW4}. */
    public static final int PACK = 4;

    /**
     * Smallest rank this layout can describe.
     *
     * @return smallest rank this layout can describe
     */
    public int minRank() {
        return this == NCHW ? 1 : 2;
    }
}
