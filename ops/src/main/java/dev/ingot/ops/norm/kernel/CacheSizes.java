package dev.ingot.ops.norm.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The cache size the schedules fit their waves to: a wrong guess costs speed, never correctness (results do not
 * depend on the wave sizes).
 *
 * @param l3Bytes the last-level cache, in bytes
 */
public record CacheSizes(long l3Bytes) {
    static final String L3_PROPERTY = "ingot.cache.l3";

    private static final long FALLBACK_L3 = 8L << 20;
    private static final Path CACHE_DIR = Path.of("/sys/devices/system/cpu/cpu0/cache");

    /**
     * This machine's size, read once from Linux's {@code /sys} cache description, with a common size as the
     * fallback elsewhere; the system property {@value #L3_PROPERTY} (bytes) overrides it.
     */
    public static final CacheSizes MACHINE = new CacheSizes(size(L3_PROPERTY, 3, FALLBACK_L3));

    public CacheSizes {
        if (l3Bytes < 1) {
            throw new IllegalArgumentException("cache size: expected a positive byte count, got L3=" + l3Bytes);
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
