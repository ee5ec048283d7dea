package dev.ingot.runtime;

import java.lang.foreign.MemorySegment;

/** Tells memory that only one thread may touch (a confined arena's segments) from memory any thread may. */
final class ConfinedMemory {

    /** A thread that never runs: no confined segment belongs to it, every shared one is accessible by it. */
    private static final Thread STRANGER = Thread.ofVirtual().unstarted(() -> { });

    private ConfinedMemory() {
    }

    /** True when only the segment's owner thread may access it. */
    static boolean isConfined(MemorySegment memory) {
        return !memory.isAccessibleBy(STRANGER);
    }
}
