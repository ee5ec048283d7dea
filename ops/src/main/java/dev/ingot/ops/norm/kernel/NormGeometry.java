package dev.ingot.ops.norm.kernel;

/**
 * The shape of an instance-norm problem and how it is cut into work units.
 *
 * <p>A <em>group</em> is an NCHW plane (one (n, c) instance, {@code spatial} contiguous elements) or, channels-last,
 * one batch entry ({@code spatial} rows of {@code channels} elements). Each group is cut into units of at most
 * {@code unitLength} elements (NCHW) or rows (channels-last). The cut depends only on the shape and the chunk size,
 * never on the thread count, which is what makes the results independent of it.
 *
 * @param batch        N
 * @param channels     C
 * @param spatial      elements per plane: L, H*W or D*H*W
 * @param channelsLast whether the layout is NLC / NHWC / NDHWC instead of NCHW
 * @param unitLength   elements (NCHW) or rows (channels-last) per unit
 */
public record NormGeometry(int batch, int channels, long spatial, boolean channelsLast, long unitLength) {
    /** Default target size of a unit, in elements: 64 KiB of float32, so a unit's second pass hits L1/L2. */
    public static final long DEFAULT_CHUNK_ELEMENTS = 16_384;
    /** Smallest channels-last unit, in rows; bounds the per-unit scratch to a sixteenth of the input. */
    static final long MIN_ROWS = 64;

    /**
     * Doubles of per-instance scratch a pass may keep in one array: the partial sums of an NCHW plane of one unit
     * ({@link StatsLayout#FIELDS}), more than the backward pass's eight coefficients.
     */
    static final int SCRATCH_PER_INSTANCE = StatsLayout.FIELDS;
    /** Most instances (N*C) a geometry may have, so that every pass's per-instance scratch fits one array. */
    public static final int MAX_INSTANCES = Integer.MAX_VALUE / SCRATCH_PER_INSTANCE;

    public NormGeometry {
        if (batch < 1 || channels < 1 || spatial < 1 || unitLength < 1) {
            throw new IllegalArgumentException("geometry: expected positive sizes, got N=" + batch + " C=" + channels
                    + " spatial=" + spatial + " unit=" + unitLength);
        }
        if ((long) batch * channels > MAX_INSTANCES) {
            throw new IllegalArgumentException("geometry: expected N*C <= " + MAX_INSTANCES + ", got "
                    + (long) batch * channels);
        }
    }

    /** The geometry with units of about {@code chunkElements} elements. */
    public static NormGeometry of(int batch, int channels, long spatial, boolean channelsLast, long chunkElements) {
        long unit = channelsLast ? Math.max(MIN_ROWS, chunkElements / channels) : chunkElements;
        return new NormGeometry(batch, channels, spatial, channelsLast, Math.min(unit, spatial));
    }

    /** Number of (n, c) instances, N*C. */
    public int instances() {
        return batch * channels;
    }

    /** Number of groups: N*C planes, or N channels-last batch entries. */
    public int groups() {
        return channelsLast ? batch : batch * channels;
    }

    /** Instances covered by one unit: 1 (NCHW) or C (channels-last). */
    public int unitChannels() {
        return channelsLast ? channels : 1;
    }

    /** Units per group. */
    public int unitsPerGroup() {
        return Math.toIntExact((spatial + unitLength - 1) / unitLength);
    }

    /** Total units, over all groups. */
    public int units() {
        return Math.multiplyExact(groups(), unitsPerGroup());
    }

    /** Elements (NCHW) or rows (channels-last) in unit {@code k} of a group. */
    public long unitSize(int k) {
        return Math.min(unitLength, spatial - k * unitLength);
    }

    /** Element index where unit {@code k} of group {@code g} starts. */
    public long unitStart(int g, int k) {
        long start = (long) g * spatial + k * unitLength;
        return channelsLast ? start * channels : start;
    }

    /** Index of the first stats field of unit {@code k} of group {@code g}. */
    public int statsBase(int g, int k) {
        return Math.toIntExact(((long) g * unitsPerGroup() + k) * StatsLayout.FIELDS * unitChannels());
    }

    /**
     * Heap bytes of the scratch a pass over this geometry allocates: the stats array, {@code coefFields} doubles
     * per instance, and, channels-last, {@code rowArrays} doubles per instance more. Exact arithmetic: a size
     * beyond {@code long} is {@link Long#MAX_VALUE}.
     *
     * @param coefFields doubles of coefficients per instance
     * @param rowArrays  per-instance row arrays (channels-last only)
     * @return the bytes, or {@link Long#MAX_VALUE} when they overflow
     */
    public long scratchBytes(int coefFields, int rowArrays) {
        try {
            long doubles = Math.multiplyExact(Math.multiplyExact((long) groups(), (long) unitsPerGroup()),
                    (long) StatsLayout.FIELDS * unitChannels());
            long perInstance = coefFields + (channelsLast ? rowArrays : 0);
            doubles = Math.addExact(doubles, Math.multiplyExact((long) instances(), perInstance));
            return Math.multiplyExact(doubles, (long) Double.BYTES);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Length of the stats scratch array. */
    public int statsLength() {
        return Math.toIntExact((long) units() * StatsLayout.FIELDS * unitChannels());
    }

    /** Total elements, N*C*spatial. */
    public long elements() {
        return (long) instances() * spatial;
    }
}
