package dev.ingot.allocator;

import java.util.List;

/**
 * Chunks that are live (or were live when the allocator closed), grouped by allocation site.
 *
 * @param chunks number of live chunks
 * @param bytes  their total size in bytes
 * @param sites  one entry per allocation site (a whole allocation stack), largest byte count first; chunks whose
 *               stack was not recorded (tracking off, or not sampled) share one site with an empty stack
 */
public record LeakReport(long chunks, long bytes, List<Site> sites) {

    /** Keeps an unmodifiable copy of the sites. */
    public LeakReport {
        sites = List.copyOf(sites);
    }

    /**
     * An empty report.
     *
     * @return an empty report
     */
    public static LeakReport empty() {
        return new LeakReport(0, 0, List.of());
    }

    /**
     * True when nothing is live.
     *
     * @return true when nothing is live
     */
    public boolean isEmpty() {
        return chunks == 0;
    }

    /**
     * A multi-line description: totals, then each site with its stack (at most {@code maxFrames} frames).
     *
     * @param maxFrames the most stack frames shown per site
     * @return the description
     */
    public String describe(int maxFrames) {
        StringBuilder text = new StringBuilder();
        text.append(chunks).append(" live chunk(s), ").append(bytes).append(" bytes");
        for (Site site : sites) {
            text.append(System.lineSeparator()).append("  ").append(site.chunks()).append(" chunk(s), ")
                    .append(site.bytes()).append(" bytes allocated at");
            if (site.stackTrace().isEmpty()) {
                text.append(" untracked sites (tracking off or not sampled; enable it with -D")
                        .append(AllocatorOptions.TRACK_PROPERTY)
                        .append("=true or AllocatorOptions.withTrackAllocations(true))");
            }
            site.stackTrace().stream().limit(maxFrames)
                    .forEach(frame -> text.append(System.lineSeparator()).append("    at ").append(frame));
        }
        return text.toString();
    }

    /**
     * Live chunks that were allocated from one place.
     *
     * @param stackTrace the allocation stack, innermost caller first, or empty for untracked chunks
     * @param chunks how many live chunks were allocated there
     * @param bytes their total size in bytes
     */
    public record Site(long chunks, long bytes, List<StackTraceElement> stackTrace) {
        /** Keeps an unmodifiable copy of the stack. */
        public Site {
            stackTrace = List.copyOf(stackTrace);
        }
    }
}
