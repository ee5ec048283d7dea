package dev.ingot.bench;

import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the pool's idle-return policy on the process's resident memory: RSS before a burst, at the burst's peak
 * (1 GiB of 1 MiB chunks, every page written), right after every chunk was freed, and after an idle wait, with a
 * pool built {@code withIdleReturn(1 s, background thread)} and no call into it during the wait.
 *
 * A 64 MiB burst runs first, so that the baseline already holds what the JVM itself grows by (classes, compiled
 * code, heap).
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.ingot.bench.IdleReturnHarness [burstMiB] [idleSeconds]}
 * (defaults 1024 and 5). Linux only (reads {@code /proc/self/status}). A harness, not a test: numbers depend on
 * the machine. The pool's 8 MiB blocks come from {@code SegmentSource.arena()}, which maps blocks of 1 MiB or more
 * with mmap, so returned blocks leave the process whatever the C library's allocator keeps.
 */
public final class IdleReturnHarness {

    private IdleReturnHarness() {
    }

    /**
     * Runs the measurement and prints one line per moment.
     *
     * @param args optional burst size in MiB and idle wait in seconds
     * @throws Exception when the wait is interrupted or /proc cannot be read
     */
    public static void main(String[] args) throws Exception {
        int burstMiB = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int idleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        // A small burst first, so that class loading, JIT code and heap growth are in the baseline, not the result.
        burst(64, 2);
        long before = rssKiB();
        burst(burstMiB, idleSeconds, before);
    }

    private static void burst(int burstMiB, int idleSeconds) throws Exception {
        burst(burstMiB, idleSeconds, -1);
    }

    private static void burst(int burstMiB, int idleSeconds, long before) throws Exception {
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(), AllocatorOptions.defaults()
                .withName("burst").withChecked(false).withMinBlockSize(8L << 20)
                .withIdleReturn(Duration.ofSeconds(1), true))) {
            List<MemoryChunk> chunks = new ArrayList<>();
            for (int i = 0; i < burstMiB; i++) {
                MemoryChunk chunk = pool.alloc(1 << 20);
                chunk.segment().fill((byte) i); // every page resident
                chunks.add(chunk);
            }
            long peak = rssKiB();
            chunks.forEach(pool::free);
            long freed = rssKiB();
            long pooled = pool.totalSize();
            Thread.sleep(idleSeconds * 1000L);
            long idle = rssKiB();
            if (before < 0) {
                return;
            }
            System.out.printf("rss before burst   %8d KiB%n", before);
            System.out.printf("rss at burst peak  %8d KiB (%d MiB in 1 MiB chunks)%n", peak, burstMiB);
            System.out.printf("rss after free     %8d KiB (pool still holds %d MiB)%n", freed, pooled >> 20);
            System.out.printf("rss after %d s idle %7d KiB (pool holds %d MiB): %+.1f%% of before%n", idleSeconds,
                    idle, pool.totalSize() >> 20, 100.0 * (idle - before) / before);
        }
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS line in /proc/self/status");
    }
}
