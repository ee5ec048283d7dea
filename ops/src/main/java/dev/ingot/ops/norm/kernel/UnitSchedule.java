package dev.ingot.ops.norm.kernel;

/**
 * The order in which a pass visits its work units, shared by {@link ForwardPass} and {@link BackwardPass}.
 *
 * <p>When every group (plane, or channels-last batch entry) is one unit, one task per run of groups does all three
 * steps (sums, merge, write) of each group while the group is still in L1 or L2. Otherwise three phases run over
 * the executor, in waves of whole groups whose input fits in half of L3, so that the write phase finds its input in
 * cache: the sums of every unit, the merge of each group's unit sums, and the write of every unit.
 *
 * <p>Each step's result depends only on its unit or group, never on which thread ran it, how the range was split
 * or how big the waves are.
 */
abstract class UnitSchedule {
    /** Aim for at least this many elements per task, so tiny planes are not scheduled one by one. */
    private static final long TASK_ELEMENTS = 1L << 15;

    final NormGeometry geo;
    /** {@link NormGeometry#unitsPerGroup()}, which takes a division to compute. */
    final int unitsPerGroup;
    private final int phasedWave;
    private final Parallel.Task fusedTask = this::fusedGroups;
    private final Parallel.Task sumsTask = this::sumsUnits;
    private final Parallel.Task mergeTask = this::mergeGroups;
    private final Parallel.Task writeTask = this::writeUnits;
    /** First group of the phased wave being run; published to the workers by the executor's hand-off. */
    private int waveStart;

    /**
     * @param geo          the problem and its cut into units
     * @param inputStreams how many inputs of the problem's size the sums read (x; or x and dy), which sizes the waves
     * @param caches       the cache sizes the waves are fitted to
     */
    UnitSchedule(NormGeometry geo, int inputStreams, CacheSizes caches) {
        this.geo = geo;
        this.unitsPerGroup = geo.unitsPerGroup();
        long groupBytes = geo.elements() / geo.groups() * Float.BYTES * inputStreams;
        this.phasedWave = groupsIn(caches.l3Bytes() / 2, groupBytes);
    }

    private static int groupsIn(long bytes, long groupBytes) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytes / groupBytes));
    }

    /** Reads unit {@code k} of group {@code g} and stores its partial sums. */
    abstract void unitSums(int g, int k);

    /**
     * Merges the unit sums of instance {@code i}, channel {@code cc} of group {@code g}, into its coefficients.
     */
    abstract void mergeInstance(int g, int cc, int i);

    /** Merges group {@code g}: its one NCHW instance, or the C instances of a channels-last batch entry. */
    final void merge(int g) {
        if (!geo.channelsLast()) {
            mergeInstance(g, 0, g);
            return;
        }
        int channels = geo.channels();
        for (int cc = 0, first = g * channels; cc < channels; cc++) {
            mergeInstance(g, cc, first + cc);
        }
    }

    /** Writes the output of unit {@code k} of group {@code g}. */
    abstract void write(int g, int k);

    /** Runs the three steps over every unit; returns after all of them. */
    final void schedule(Parallel parallel) {
        int groups = geo.groups();
        if (unitsPerGroup == 1) {
            parallel.forRange(groups, groupGrain(), fusedTask);
            return;
        }
        for (int start = 0; start < groups; start += phasedWave) {
            int waveGroups = Math.min(phasedWave, groups - start);
            waveStart = start;
            parallel.forRange(waveGroups * unitsPerGroup, 1, sumsTask);
            parallel.forRange(waveGroups, 1, mergeTask);
            parallel.forRange(waveGroups * unitsPerGroup, 1, writeTask);
        }
    }

    private int groupGrain() {
        long perGroup = geo.elements() / geo.groups();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, TASK_ELEMENTS / perGroup));
    }

    private void fusedGroups(int from, int to) {
        for (int g = from; g < to; g++) {
            unitSums(g, 0);
            merge(g);
            write(g, 0);
        }
    }

    private void sumsUnits(int from, int to) {
        int first = waveStart * unitsPerGroup;
        for (int u = first + from; u < first + to; u++) {
            unitSums(u / unitsPerGroup, u % unitsPerGroup);
        }
    }

    private void mergeGroups(int from, int to) {
        for (int g = waveStart + from; g < waveStart + to; g++) {
            merge(g);
        }
    }

    private void writeUnits(int from, int to) {
        int first = waveStart * unitsPerGroup;
        for (int u = first + from; u < first + to; u++) {
            write(u / unitsPerGroup, u % unitsPerGroup);
        }
    }
}
