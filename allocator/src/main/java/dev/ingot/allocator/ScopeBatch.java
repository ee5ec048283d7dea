package dev.ingot.allocator;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Checked chunks of an {@link EagerBufferAllocator} that share one scope, so that one shared-arena close (a thread
 * handshake) revokes them all. A freed member is revoked at once ({@code segment()} throws), but its memory waits
 * in the batch's quarantine, out of every free list, until the scope is closed: a segment kept after {@code free}
 * may still reach that memory meanwhile, but never once it was handed out again.
 *
 * <p>A batch takes new members while it is open; it is sealed once it holds {@code maxMembers} chunks or
 * {@code maxBytes} bytes, or when the allocator flushes it. A sealed batch whose members are all freed is closed,
 * and only then does its quarantine go back to the free list. The counters and the quarantine are guarded by the
 * allocator's lock; {@link #close()} may run without it and is idempotent.
 */
final class ScopeBatch {
    final Arena scope = Arena.ofShared();
    private final int maxMembers;
    private final long maxBytes;
    /** Spans of freed members, waiting for the scope to close. */
    private final List<Span> quarantine;
    private int members;
    private int live;
    private long memberBytes;
    private long quarantinedBytes;
    private boolean sealed;
    private volatile boolean closed;

    ScopeBatch(int maxMembers, long maxBytes) {
        this.maxMembers = maxMembers;
        this.maxBytes = maxBytes;
        this.quarantine = new ArrayList<>(Math.min(maxMembers, 64));
    }

    /** Counts a new member of {@code footprint} bytes; seals the batch when it is full. */
    void join(long footprint) {
        members++;
        live++;
        memberBytes += footprint;
        if (members >= maxMembers || memberBytes >= maxBytes) {
            sealed = true;
        }
    }

    /** A member was freed: its span waits here. True when the batch may now be closed. */
    boolean quarantine(Span span) {
        live--;
        quarantine.add(span);
        quarantinedBytes += span.size;
        return closable();
    }

    /** A live member lost its memory without a free (its block was taken back): it no longer holds the batch open. */
    boolean lost() {
        live--;
        return closable();
    }

    /** Takes no more members. True when the batch may now be closed. */
    boolean seal() {
        sealed = true;
        return closable();
    }

    boolean isSealed() {
        return sealed;
    }

    /** Sealed and every member freed (or lost): nothing live depends on the scope. */
    boolean closable() {
        return sealed && live == 0;
    }

    long quarantinedBytes() {
        return quarantinedBytes;
    }

    /** The quarantined spans, handed over once (the batch is closing). */
    List<Span> drainQuarantine() {
        List<Span> spans = List.copyOf(quarantine);
        quarantine.clear();
        quarantinedBytes = 0;
        return spans;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Closes the scope: every segment of a member throws from now on. Idempotent; a second caller waits until the
     * first one's close is done, so that no caller goes on to give memory back while the scope is still open.
     */
    synchronized void close() {
        if (!closed) {
            scope.close();
            closed = true;
        }
    }
}
