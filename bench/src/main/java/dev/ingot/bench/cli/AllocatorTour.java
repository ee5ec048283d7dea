package dev.ingot.bench.cli;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.AllocatorStats;
import dev.ingot.allocator.DeferBufferAllocator;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.LeakReport;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Shows the allocator at work on the activations of a small network: reuse by the eager pool, the deferred
 * planner's packing, a refused allocation under a limit, and a leak report with its allocation site.
 */
final class AllocatorTour {
    /** Bytes of each layer's activation in a small convolutional network, input to output. */
    private static final long[] ACTIVATIONS = {
        4L << 20, 4L << 20, 2L << 20, 2L << 20, 1L << 20, 1L << 20, 512L << 10, 256L << 10, 64L << 10, 4L << 10
    };

    private final PrintWriter out;

    AllocatorTour(PrintWriter out) {
        this.out = out;
    }

    void run() {
        eagerReuse();
        deferredPlan();
        limit();
        leakReport();
    }

    /** Runs the network's activations through the pool twice: the second pass takes nothing new from the source. */
    private void eagerReuse() {
        out.println("Eager pool: the activations of a 10-layer network, run twice");
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("eager"))) {
            for (int pass = 1; pass <= 2; pass++) {
                List<Long> addresses = runLayers(pool);
                AllocatorStats stats = pool.stats();
                out.printf("  pass %d: first chunk at 0x%x, reserved %s, peak in use %s, reuse rate %.0f%%%n",
                        pass, addresses.getFirst(), Bytes.format(stats.reserved()), Bytes.format(stats.peakInUse()),
                        100 * stats.reuseRate());
            }
            AllocatorStats stats = pool.stats();
            out.printf("  after both passes: %d allocations, %d served from the free list, %s in use, %s pooled%n",
                    stats.allocations(), stats.reuses(), Bytes.format(stats.inUse()), Bytes.format(stats.pooled()));
            pool.release(false);
            out.printf("  release(false) gives wholly free blocks back: reserved now %s%n",
                    Bytes.format(pool.stats().reserved()));
        }
    }

    /** Each layer's output lives until the next layer has consumed it. */
    private static List<Long> runLayers(EagerBufferAllocator pool) {
        List<Long> addresses = new ArrayList<>();
        MemoryChunk previous = null;
        for (long size : ACTIVATIONS) {
            MemoryChunk output = pool.alloc(size);
            addresses.add(output.address());
            if (previous != null) {
                pool.free(previous);
            }
            previous = output;
        }
        pool.free(previous);
        return addresses;
    }

    /** The same lifetimes planned ahead: one block, sized close to the largest set alive at once. */
    private void deferredPlan() {
        out.println("Deferred planner: the same lifetimes placed in one block");
        try (DeferBufferAllocator planner = new DeferBufferAllocator()) {
            MemoryChunk previous = null;
            long naive = 0;
            for (long size : ACTIVATIONS) {
                MemoryChunk output = planner.alloc(size);
                naive += size;
                if (previous != null) {
                    planner.free(previous);
                }
                previous = output;
            }
            planner.free(previous);
            planner.compute();
            planner.apply();
            out.printf("  planned %s for a lower bound of %s (naive sum %s)%n", Bytes.format(planner.plannedSize()),
                    Bytes.format(planner.lowerBound()), Bytes.format(naive));
        }
    }

    private void limit() {
        out.println("Limit: a pool capped at 8 MiB");
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("capped").withLimit(8L << 20))) {
            MemoryChunk held = pool.alloc(6L << 20);
            try {
                pool.alloc(4L << 20);
                out.println("  unexpected: the limit did not refuse");
            } catch (AllocationLimitException refused) {
                out.println("  refused: " + refused.getMessage());
            }
            pool.free(held);
            MemoryChunk retry = pool.alloc(4L << 20);
            out.printf("  after freeing, the same request succeeds: %s%n", Bytes.format(retry.size()));
            pool.free(retry);
        }
    }

    /** A chunk never freed is reported at close with the place that allocated it. */
    private void leakReport() {
        out.println("Leak report: a chunk that was never freed");
        EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("leaky").withTrackAllocations(true)
                        .withLogger(new FirstLineLogger(out)));
        pool.free(pool.alloc(1L << 10));
        forgetAChunk(pool);
        pool.close();
        LeakReport leaks = pool.liveChunks();
        leaks.describe(3).lines().forEach(line -> out.println("  " + line));
        out.printf("  close() returned the leaked memory too: reserved now %s%n", Bytes.format(pool.totalSize()));
    }

    private static void forgetAChunk(EagerBufferAllocator pool) {
        pool.alloc(64L << 10);
    }
}
