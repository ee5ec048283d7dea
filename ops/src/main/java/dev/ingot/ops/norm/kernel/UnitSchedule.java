package dev.ingot.ops.norm.kernel;

/**
 * The order in which a pass visits its work units, shared by {@link ForwardPass} and {@link BackwardPass}.
 *
 * <p>When every group (plane, or channels-last batch entry) is one unit, one task per group does all three steps
 * (sums, merge, write) while the group is still in cache. Otherwise three phases run over the executor: the sums of
 * every unit, the merge of each group's unit sums, and the write of every unit. Each step's result depends only on
 * its unit or group, never on which thread ran it or how the range was split.
 */
abstract class UnitSchedule {
    /** Aim for at least this many elements per task, so tiny planes are not scheduled one by one. */
    private static final long TASK_ELEMENTS = 1L << 15;

    final NormGeometry geo;
    private final Parallel.Task fusedTask = this::fusedGroups;
    private final Parallel.Task sumsTask = this::sumsUnits;
    private final Parallel.Task mergeTask = this::mergeGroups;
    private final Parallel.Task writeTask = this::writeUnits;

    UnitSchedule(NormGeometry geo) {
        this.geo = geo;
    }

    /** Reads unit {@code k} of group {@code g} and stores its partial sums. */
    abstract void unitSums(int g, int k);

    /** Merges the partial sums of group {@code g} into its per-instance coefficients. */
    abstract void merge(int g);

    /** Writes the output of unit {@code k} of group {@code g}. */
    abstract void write(int g, int k);

    /** Runs the three steps over every unit; returns after all of them. */
    final void schedule(Parallel parallel) {
        if (geo.unitsPerGroup() == 1) {
            parallel.forRange(geo.groups(), groupGrain(), fusedTask);
        } else {
            parallel.forRange(geo.units(), 1, sumsTask);
            parallel.forRange(geo.groups(), 1, mergeTask);
            parallel.forRange(geo.units(), 1, writeTask);
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
        int units = geo.unitsPerGroup();
        for (int u = from; u < to; u++) {
            unitSums(u / units, u % units);
        }
    }

    private void mergeGroups(int from, int to) {
        for (int g = from; g < to; g++) {
            merge(g);
        }
    }

    private void writeUnits(int from, int to) {
        int units = geo.unitsPerGroup();
        for (int u = from; u < to; u++) {
            write(u / units, u % units);
        }
    }
}
