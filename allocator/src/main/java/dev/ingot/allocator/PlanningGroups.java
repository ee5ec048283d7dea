package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The barrier and the per-thread free lists of an {@link EagerBufferAllocator}'s planning groups. Groups are
 * keyed by thread in a plain map, not held in thread-locals, so nothing is stranded when pool threads come and go;
 * all of them are dropped when the barrier ends. A group whose thread died before {@code endGroup()} is ended by
 * {@code barrierEnd()}, so a planning thread that fails cannot wedge the allocator. Guarded by the allocator's lock.
 */
final class PlanningGroups {
    private final String owner;
    private final Map<Thread, FreeList> open = new HashMap<>();
    private final List<FreeList> sinceBarrier = new ArrayList<>();
    private boolean barrierOpen;

    PlanningGroups(String owner) {
        this.owner = owner;
    }

    void beginBarrier() {
        if (barrierOpen) {
            throw new IllegalStateException("barrierBegin() on '" + owner + "': a barrier is already open");
        }
        barrierOpen = true;
    }

    /** Closes the barrier and hands over the groups' lists, whose pieces the caller returns to the shared list. */
    List<FreeList> endBarrier() {
        if (!barrierOpen) {
            throw new IllegalStateException("barrierEnd() on '" + owner + "' without barrierBegin()");
        }
        // A thread that died inside its group can never end it: its group is folded back with the others.
        open.keySet().removeIf(thread -> !thread.isAlive());
        if (!open.isEmpty()) {
            throw new IllegalStateException("barrierEnd() on '" + owner + "' while " + open.size()
                    + " group(s) are still open; call endGroup() in each planning thread first");
        }
        List<FreeList> ended = List.copyOf(sinceBarrier);
        sinceBarrier.clear();
        barrierOpen = false;
        return ended;
    }

    void beginGroup(Thread thread) {
        if (!barrierOpen) {
            throw new IllegalStateException("beginGroup() on '" + owner + "' outside barrierBegin()/barrierEnd()");
        }
        if (open.containsKey(thread)) {
            throw new IllegalStateException("beginGroup() on '" + owner + "': thread " + thread.getName()
                    + " already has an open group");
        }
        FreeList group = new FreeList();
        open.put(thread, group);
        sinceBarrier.add(group);
    }

    void endGroup(Thread thread) {
        if (open.remove(thread) == null) {
            throw new IllegalStateException("endGroup() on '" + owner + "': thread " + thread.getName()
                    + " has no open group");
        }
    }

    /** True while some thread has an open group. */
    boolean anyOpen() {
        return !open.isEmpty();
    }

    /** The thread's open group, or null. */
    FreeList groupOf(Thread thread) {
        return open.isEmpty() ? null : open.get(thread);
    }

    /** Free bytes held privately by the groups of the current barrier. */
    long pooledBytes() {
        long bytes = 0;
        for (int i = 0; i < sinceBarrier.size(); i++) { // indexed: called on every free, allocates nothing
            bytes += sinceBarrier.get(i).bytes();
        }
        return bytes;
    }

    /** Forgets every group and the barrier, dropping the groups' pieces (their blocks are going back). */
    void clear() {
        for (FreeList group : sinceBarrier) {
            group.drain();
        }
        sinceBarrier.clear();
        open.clear();
        barrierOpen = false;
    }
}
