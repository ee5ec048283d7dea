package dev.ingot.ops.norm.kernel;

/**
 * Runs a task over the index range {@code [0, count)}, possibly split into sub-ranges on several threads, and
 * returns after every sub-range has run (the join makes their writes visible to the caller).
 *
 * <p>The drivers only ever write results that depend on the index, never on how the range is split, so any split
 * gives bitwise the same outputs.
 */
public interface Parallel {
    /** Runs everything on the calling thread. */
    Parallel SERIAL = (count, grain, task) -> task.run(0, count);

    /** Runs {@code task} over {@code [0, count)}; sub-ranges hold at least {@code grain} indices where possible. */
    void forRange(int count, int grain, Task task);

    /** A body run over one sub-range; implemented by preallocated objects so a run allocates nothing. */
    interface Task {
        /** Processes indices {@code [from, to)}. */
        void run(int from, int to);
    }
}
