package dev.ingot.allocator;

import java.util.Comparator;
import java.util.TreeSet;

/**
 * Free pieces ordered by size (then block and offset, so that the order is total and deterministic), searched
 * best fit: the smallest piece that holds the chunk with its alignment padding. Guarded by the allocator's lock.
 */
final class FreeList {
    private static final Comparator<FreePiece> BY_SIZE = Comparator.comparingLong(FreePiece::size)
            .thenComparingLong(piece -> piece.block() == null ? Long.MIN_VALUE : piece.block().id)
            .thenComparingLong(FreePiece::offset);

    private final TreeSet<FreePiece> bySize = new TreeSet<>(BY_SIZE);
    private long bytes;

    /** The smallest piece that can hold {@code footprint} bytes at {@code alignment}, or null. */
    FreePiece bestFit(long footprint, long alignment) {
        FreePiece probe = new FreePiece(null, Long.MIN_VALUE, footprint, this);
        for (FreePiece piece : bySize.tailSet(probe, true)) {
            if (piece.fits(footprint, alignment)) {
                return piece;
            }
        }
        return null;
    }

    /** Adds the piece to this list and to its block's offset map. */
    void add(FreePiece piece) {
        bySize.add(piece);
        piece.block().freeByOffset.put(piece.offset(), piece);
        bytes += piece.size();
    }

    /** Removes the piece from this list and from its block's offset map. */
    void remove(FreePiece piece) {
        bySize.remove(piece);
        piece.block().freeByOffset.remove(piece.offset());
        bytes -= piece.size();
    }

    /** Bytes held by the list. */
    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return bySize.isEmpty();
    }

    /** Removes and returns every piece. */
    java.util.List<FreePiece> drain() {
        java.util.List<FreePiece> all = new java.util.ArrayList<>(bySize);
        for (FreePiece piece : all) {
            remove(piece);
        }
        return all;
    }
}
