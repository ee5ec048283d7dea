package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The chunks an allocator has handed out and not taken back, and the leak report built from them.
 * Not thread-safe: the owner calls it under its lock.
 */
final class LiveChunks {
    /** Frames of these classes are the allocator's own and are cut from the top of allocation stacks. */
    private static final Set<String> INTERNAL_CLASSES = Set.of(MemoryChunk.class.getName(),
            EagerBufferAllocator.class.getName(), DeferBufferAllocator.class.getName(),
            BufferAllocator.class.getName(), ChildSource.class.getName());

    /** The live chunks, densely packed; each chunk knows its index ({@link MemoryChunk#liveIndex}). */
    private MemoryChunk[] chunks = new MemoryChunk[16];
    private int count;
    private long bytes;

    /**
     * Whether the next allocation records its stack: always with tracking on and an interval of 1, else one
     * allocation in {@code trackingInterval} at random (no shared counter to contend on).
     */
    static boolean shouldTrack(AllocatorOptions options) {
        return options.trackAllocations() && (options.trackingInterval() == 1
                || ThreadLocalRandom.current().nextInt(options.trackingInterval()) == 0);
    }

    void add(MemoryChunk chunk) {
        if (count == chunks.length) {
            chunks = Arrays.copyOf(chunks, count * 2);
        }
        chunk.liveIndex = count;
        chunks[count++] = chunk;
        bytes += chunk.size();
    }

    /** Removes the chunk in O(1) (the last chunk takes its slot); false when it is not live here. */
    boolean remove(MemoryChunk chunk) {
        if (!contains(chunk)) {
            return false;
        }
        int index = chunk.liveIndex;
        int lastIndex = --count;
        if (index != lastIndex) { // skipped for the newest chunk: a reference store here costs a GC barrier
            MemoryChunk last = chunks[lastIndex];
            chunks[index] = last;
            last.liveIndex = index;
        }
        chunks[lastIndex] = null;
        chunk.liveIndex = -1;
        bytes -= chunk.size();
        return true;
    }

    boolean contains(MemoryChunk chunk) {
        int index = chunk.liveIndex;
        return index >= 0 && index < count && chunks[index] == chunk;
    }

    /** Sum of the sizes (as asked) of the live chunks. */
    long bytes() {
        return bytes;
    }

    /** Removes and returns the chunks that match. */
    List<MemoryChunk> removeIf(java.util.function.Predicate<MemoryChunk> matches) {
        List<MemoryChunk> removed = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (matches.test(chunks[i])) {
                removed.add(chunks[i]);
            }
        }
        removed.forEach(this::remove);
        return removed;
    }

    /** Removes and returns every chunk. */
    List<MemoryChunk> drain() {
        List<MemoryChunk> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            all.add(chunks[i]);
            chunks[i].liveIndex = -1;
            chunks[i] = null;
        }
        count = 0;
        bytes = 0;
        return all;
    }

    /** The live chunks grouped by allocation site, largest byte count first. */
    LeakReport report() {
        Map<List<StackTraceElement>, long[]> bySite = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            MemoryChunk chunk = chunks[i];
            long[] totals = bySite.computeIfAbsent(siteOf(chunk), _ -> new long[2]);
            totals[0]++;
            totals[1] += chunk.size();
        }
        List<LeakReport.Site> sites = new ArrayList<>();
        bySite.forEach((stack, totals) -> sites.add(new LeakReport.Site(totals[0], totals[1], stack)));
        sites.sort(Comparator.comparingLong(LeakReport.Site::bytes).reversed());
        return new LeakReport(count, bytes, sites);
    }

    private static List<StackTraceElement> siteOf(MemoryChunk chunk) {
        Throwable site = chunk.allocationSite();
        if (site == null) {
            return List.of();
        }
        StackTraceElement[] frames = site.getStackTrace();
        int first = 0;
        while (first < frames.length && INTERNAL_CLASSES.contains(frames[first].getClassName())) {
            first++;
        }
        return Arrays.asList(frames).subList(first, frames.length);
    }
}
