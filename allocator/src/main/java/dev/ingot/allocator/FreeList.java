package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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

    /**
     * Returns the range [offset, offset + size) of {@code block} to this list, merged with the free neighbours this
     * list holds in the same block (pieces of other lists stay apart until their group ends).
     */
    void addMerging(Block block, long offset, long size) {
        long start = offset;
        long end = offset + size;
        var before = block.freeByOffset.lowerEntry(start);
        if (before != null && before.getValue().end() == start && before.getValue().list() == this) {
            remove(before.getValue());
            start = before.getValue().offset();
        }
        FreePiece after = block.freeByOffset.get(end);
        if (after != null && after.list() == this) {
            remove(after);
            end = after.end();
        }
        add(new FreePiece(block, start, end - start, this));
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
    List<FreePiece> drain() {
        List<FreePiece> all = new ArrayList<>(bySize);
        for (FreePiece piece : all) {
            remove(piece);
        }
        return all;
    }
}
