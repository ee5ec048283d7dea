package dev.ingot.ops.norm.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Cache sizes the schedules size their waves from: a wrong guess costs speed, never correctness (results do not
 * depend on the wave sizes).
 *
 * @param l2Bytes the L2 cache of one core
 * @param l3Bytes the last-level cache
 */
public record CacheSizes(long l2Bytes, long l3Bytes) {
    static final String L2_PROPERTY = "ingot.cache.l2";
    static final String L3_PROPERTY = "ingot.cache.l3";

    private static final long FALLBACK_L2 = 1L << 20;
    private static final long FALLBACK_L3 = 8L << 20;
    private static final Path CACHE_DIR = Path.of("/sys/devices/system/cpu/cpu0/cache");

    /**
     * This machine's sizes, read once from Linux's {@code /sys} cache description, with common sizes as the
     * fallback elsewhere; the system properties {@value #L2_PROPERTY} and {@value #L3_PROPERTY} (bytes) override
     * them.
     */
    public static final CacheSizes MACHINE = new CacheSizes(size(L2_PROPERTY, 2, FALLBACK_L2),
            size(L3_PROPERTY, 3, FALLBACK_L3));

    public CacheSizes {
        if (l2Bytes < 1 || l3Bytes < 1) {
            throw new IllegalArgumentException("cache sizes: expected positive byte counts, got L2=" + l2Bytes
                    + " L3=" + l3Bytes);
        }
    }

    /** The positive override in {@code property}, else what {@code /sys} says, else {@code fallback}. */
    private static long size(String property, int level, long fallback) {
        long override = Long.getLong(property, 0);
        return override > 0 ? override : read(level, fallback);
    }

    /** The size of the unified or data cache of {@code level}, or {@code fallback} when it is not described. */
    private static long read(int level, long fallback) {
        for (int index = 0; index < 8; index++) {
            Path dir = CACHE_DIR.resolve("index" + index);
            try {
                if (Files.isDirectory(dir) && Integer.parseInt(Files.readString(dir.resolve("level")).strip()) == level
                        && !Files.readString(dir.resolve("type")).strip().equals("Instruction")) {
                    return parseSize(Files.readString(dir.resolve("size")).strip(), fallback);
                }
            } catch (IOException | NumberFormatException | SecurityException e) {
                return fallback;
            }
        }
        return fallback;
    }

    /** Parses sizes such as "1024K" or "32M" as the kernel writes them; {@code fallback} when unreadable. */
    static long parseSize(String text, long fallback) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1L << 10;
        } else if (t.endsWith("M")) {
            unit = 1L << 20;
        } else if (t.endsWith("G")) {
            unit = 1L << 30;
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long value = Long.parseLong(digits) * unit;
            return value > 0 ? value : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
