package dev.ingot.allocator;

/**
 * Thrown when an allocator's {@link SegmentSource} could not provide a block: the operating system refused the
 * memory, or a memory-mapped file could not be created or filled (a missing folder, a full disk). Nothing was
 * allocated and the allocator stays usable; the cause says what failed. A caller can free memory, trim pools or
 * shed load and try again, as after an {@link AllocationLimitException}.
 *
 * <p>Immutable and thread-safe, like every exception.
 */
public final class AllocationFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Bytes of the block the allocator asked its source for. */
    private final long requested;

    /**
     * A source's failure to provide a block.
     *
     * @param allocatorName the allocator whose source failed, for the message
     * @param requested     bytes of the block it asked for
     * @param source        the source's {@link SegmentSource#description()}
     * @param cause         what the source threw
     */
    public AllocationFailedException(String allocatorName, long requested, String source, Throwable cause) {
        super("allocator '" + allocatorName + "' could not get a block of " + requested + " bytes from " + source
                + ": " + cause, cause);
        this.requested = requested;
    }

    /**
     * The size of the block that was asked of the source.
     *
     * @return bytes
     */
    public long requested() {
        return requested;
    }
}
