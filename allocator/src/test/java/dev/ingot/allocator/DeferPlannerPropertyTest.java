package dev.ingot.allocator;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random lifetime traces through the deferred planner: no live overlap, quality close to the lower bound. */
class DeferPlannerPropertyTest {
    /** Quality bar: the planned block may exceed the lower bound by at most 15 %. */
    static final double MAX_RATIO = 1.15;

    @Property(tries = 100)
    void randomTracesNeverOverlapLiveChunks(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed,
                                            @ForAll boolean checked) {
        LifetimeTrace trace = LifetimeTrace.random(new Random(seed), 60);
        AllocatorOptions options = AllocatorOptions.defaults().withChecked(checked);
        try (DeferBufferAllocator planner = new DeferBufferAllocator(SegmentSource.arena(), options)) {
            MemoryChunk[] chunks = trace.replay(planner);
            planner.apply();
            long[][] lifetimes = trace.lifetimes();
            for (int i = 0; i < chunks.length; i++) {
                assertEquals(0, chunks[i].address() % chunks[i].alignment(), chunks[i].toString());
                for (int j = i + 1; j < chunks.length; j++) {
                    boolean together = lifetimes[i][0] < lifetimes[j][1] && lifetimes[j][0] < lifetimes[i][1];
                    boolean shareBytes = chunks[i].address() < chunks[j].address() + chunks[j].size()
                            && chunks[j].address() < chunks[i].address() + chunks[i].size();
                    assertFalse(together && shareBytes, chunks[i] + " and " + chunks[j] + " are alive together");
                }
            }
            assertEquals(trace.lowerBound(), planner.lowerBound());
            assertTrue(planner.plannedSize() >= planner.lowerBound());
            assertTrue(planner.plannedSize() <= MAX_RATIO * planner.lowerBound(),
                    "planned " + planner.plannedSize() + " vs lower bound " + planner.lowerBound());
            writeInLifetimeOrder(trace, chunks);
        }
    }

    /**
     * Replays the trace on the real memory: each chunk gets a pattern at its birth and is checked at its death, so
     * a chunk overwritten by another one alive at the same time is caught through the bytes themselves.
     */
    private static void writeInLifetimeOrder(LifetimeTrace trace, MemoryChunk[] chunks) {
        for (LifetimeTrace.Event event : trace.events()) {
            MemoryChunk chunk = chunks[event.index()];
            if (event.isAlloc()) {
                chunk.segment().fill((byte) chunk.id());
            } else {
                assertEquals((byte) chunk.id(), chunk.segment().get(ValueLayout.JAVA_BYTE, 0));
                assertEquals((byte) chunk.id(), chunk.segment().get(ValueLayout.JAVA_BYTE, chunk.size() - 1));
            }
        }
    }
}
