package dev.ingot.allocator;

import java.util.List;

/**
 * Chunks that are live (or were live when the allocator closed), grouped by allocation site.
 *
 * @param chunks number of live chunks
 * @param bytes  their total size in bytes
 * @param sites  one entry per allocation site; a single "unknown" site when tracking is off
 */
public record LeakReport(long chunks, long bytes, List<Site> sites) {

    public LeakReport {
        sites = List.copyOf(sites);
    }

    /** True when nothing is live. */
    public boolean isEmpty() {
        return chunks == 0;
    }

    /**
     * Live chunks that were allocated from one place.
     *
     * @param stackTrace the allocation stack, or empty when tracking is off
     */
    public record Site(long chunks, long bytes, List<StackTraceElement> stackTrace) {
        public Site {
            stackTrace = List.copyOf(stackTrace);
        }
    }
}
