package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random lifetime trace: allocs and frees in program order, the shape a pipeline's resize produces. Some chunks
 * are never freed (they live to the end of the plan).
 *
 * @param events each event is either an alloc (size &gt; 0, alignment) or a free (size == 0) of chunk {@code index}
 */
record LifetimeTrace(List<Event> events, int chunks) {

    record Event(int index, long size, long alignment) {
        boolean isAlloc() {
            return size > 0;
        }
    }

    /**
     * A trace of up to {@code maxChunks} chunks. Sizes are log-uniform from 1 byte to 1 MiB, mostly 64-byte aligned
     * with some larger alignments; each step frees with probability {@code freeBias} when something is live; about
     * a tenth of the chunks are never freed.
     */
    static LifetimeTrace random(Random random, int maxChunks) {
        int chunks = 1 + random.nextInt(maxChunks);
        double freeBias = 0.3 + 0.4 * random.nextDouble();
        List<Event> events = new ArrayList<>();
        List<Integer> live = new ArrayList<>();
        int allocated = 0;
        while (allocated < chunks || !live.isEmpty()) {
            boolean free = !live.isEmpty() && (allocated == chunks || random.nextDouble() < freeBias);
            if (free) {
                int index = live.remove(random.nextInt(live.size()));
                if (index % 10 != 3) { // every tenth chunk lives to the end
                    events.add(new Event(index, 0, 0));
                }
            } else {
                long size = Math.max(1, (long) Math.pow(2, random.nextDouble() * 20));
                long alignment = random.nextInt(8) == 0 ? 1L << random.nextInt(13) : 64;
                events.add(new Event(allocated, size, alignment));
                live.add(allocated);
                allocated++;
            }
        }
        return new LifetimeTrace(List.copyOf(events), chunks);
    }

    /** Replays the trace into {@code planner}; returns the chunks by index. */
    MemoryChunk[] replay(DeferBufferAllocator planner) {
        MemoryChunk[] byIndex = new MemoryChunk[chunks];
        for (Event event : events) {
            if (event.isAlloc()) {
                byIndex[event.index()] = planner.alloc(event.size(), event.alignment());
            } else {
                planner.free(byIndex[event.index()]);
            }
        }
        return byIndex;
    }

    /** Per chunk, [born, died) in event positions; died = events.size() for chunks never freed. */
    long[][] lifetimes() {
        long[][] lifetimes = new long[chunks][];
        for (int position = 0; position < events.size(); position++) {
            Event event = events.get(position);
            if (event.isAlloc()) {
                lifetimes[event.index()] = new long[] {position, events.size()};
            } else {
                lifetimes[event.index()][1] = position;
            }
        }
        return lifetimes;
    }

    /** Independent reference for the lower bound: the largest sum of footprints alive after any event. */
    long lowerBound() {
        long alive = 0;
        long peak = 0;
        long[] footprint = new long[chunks];
        for (Event event : events) {
            if (event.isAlloc()) {
                footprint[event.index()] = roundUp(roundUp(event.size(), 64), event.alignment());
                alive += footprint[event.index()];
                peak = Math.max(peak, alive);
            } else {
                alive -= footprint[event.index()];
            }
        }
        return peak;
    }

    private static long roundUp(long value, long multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }
}
