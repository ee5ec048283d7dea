package dev.ingot.runtime.parallel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a run splits the cores when callers compete: the rule {@link RunAdmission} applies to a run that states its
 * working set (the bytes it reads or writes: every tensor of a pipeline, counted once).
 *
 * <p><b>The rule.</b> A run whose working set fits one core's L2 cache gets one thread while others compete, so
 * competing runs proceed side by side: each keeps its data in its own core's cache, and splitting such a short run
 * would cost more in hand-offs than it saves. A larger run gets all the cores, and competing runs take turns: split
 * over the cores, its data occupies several caches, where two such runs side by side would evict each other's
 * data from the shared cache. Measured on this project's 2-core machine (L2 2 MiB per core), InstanceNorm forward +
 * backward, 2 closed-loop callers ({@code AdmissionHarness SHAPE 2 split}, two interleaved rounds): 1x16x32x32
 * (0.3 MB per run) 122k/152k runs/s side by side against 101k/141k in turns; 1x64x56x56 (3.2 MB) 6.0k/10.8k against
 * 7.7k/15.0k; 1x64x112x112 (12.8 MB) 1.2k/1.5k against 1.6k/1.4k (a tie within the noise).
 *
 * <p>The L2 size is read once from Linux's {@code /sys} cache description (1 MiB elsewhere); the system property
 * {@value #L2_PROPERTY} (bytes) overrides it. A wrong size costs throughput, never correctness.
 *
 * <p>Thread-safety: stateless and immutable; thread-safe.
 */
public final class RunSplit {

    /** System property overriding the per-core L2 size, in bytes. */
    public static final String L2_PROPERTY = "ingot.cache.l2";

    private static final long FALLBACK_L2 = 1L << 20;
    private static final Path CACHE_DIR = Path.of("/sys/devices/system/cpu/cpu0/cache");
    private static final long L2_BYTES = l2FromMachine();

    private RunSplit() {
    }

    /**
     * The threads a run of {@code workingSetBytes} gets while other runs compete, on {@code cores} cores.
     *
     * @param workingSetBytes bytes the run reads or writes, &gt;= 0
     * @param cores           the cores runs share, &gt;= 1
     * @return 1 when the working set fits one core's L2, else {@code cores}
     * @throws IllegalArgumentException when an argument is out of range
     */
    public static int threadsWhenBusy(long workingSetBytes, int cores) {
        return threadsWhenBusy(workingSetBytes, cores, L2_BYTES);
    }

    /**
     * The rule with an explicit L2 size (for tests and other machines).
     *
     * @param workingSetBytes bytes the run reads or writes, &gt;= 0
     * @param cores           the cores runs share, &gt;= 1
     * @param l2Bytes         one core's L2 cache, &gt;= 1
     * @return 1 when the working set fits {@code l2Bytes}, else {@code cores}
     * @throws IllegalArgumentException when an argument is out of range
     */
    public static int threadsWhenBusy(long workingSetBytes, int cores, long l2Bytes) {
        if (workingSetBytes < 0 || cores < 1 || l2Bytes < 1) {
            throw new IllegalArgumentException("threadsWhenBusy: expected workingSetBytes >= 0, cores >= 1 and"
                    + " l2Bytes >= 1, got " + workingSetBytes + ", " + cores + ", " + l2Bytes);
        }
        return workingSetBytes <= l2Bytes ? 1 : cores;
    }

    /**
     * One core's L2 cache size the rule uses on this machine.
     *
     * @return bytes
     */
    public static long l2Bytes() {
        return L2_BYTES;
    }

    private static long l2FromMachine() {
        long override = Long.getLong(L2_PROPERTY, 0);
        if (override > 0) {
            return override;
        }
        for (int index = 0; index < 8; index++) {
            Path dir = CACHE_DIR.resolve("index" + index);
            try {
                if (Files.isDirectory(dir) && Files.readString(dir.resolve("level")).strip().equals("2")
                        && !Files.readString(dir.resolve("type")).strip().equals("Instruction")) {
                    return parseSize(Files.readString(dir.resolve("size")));
                }
            } catch (IOException | SecurityException e) {
                return FALLBACK_L2;
            }
        }
        return FALLBACK_L2;
    }

    /** "2048K", "1M" as the kernel writes them; the fallback when unreadable. */
    private static long parseSize(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        long unit = t.endsWith("K") ? 1L << 10 : t.endsWith("M") ? 1L << 20 : 1;
        try {
            long value = Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
            return value > 0 ? value : FALLBACK_L2;
        } catch (NumberFormatException e) {
            return FALLBACK_L2;
        }
    }
}
