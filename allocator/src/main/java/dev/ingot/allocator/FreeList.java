package dev.ingot.allocator;

import java.util.ArrayList;
import java.util.List;

/**
 * Free pieces ordered by size (then block id and offset, so that the order is total and deterministic), searched
 * best fit: the smallest piece that holds the chunk with its alignment padding. The order is kept in a treap whose
 * nodes are the {@link Span}s themselves, so adding and removing a piece allocates nothing; its expected depth is
 * O(log n). Guarded by the allocator's lock.
 */
final class FreeList {
    private Span root;
    private long bytes;
    private int count;
    /** State of the xorshift generator that gives tree priorities (fixed seed: runs are reproducible). */
    private int seed = 0x2545F491;

    /** The smallest piece that can hold {@code footprint} bytes at {@code alignment}, or null. */
    Span bestFit(long footprint, long alignment) {
        return firstFitting(root, footprint, alignment);
    }

    /** In order from the smallest piece of at least {@code footprint} bytes, the first one that fits. */
    private static Span firstFitting(Span node, long footprint, long alignment) {
        while (node != null) {
            if (node.size < footprint) {
                node = node.right;
                continue;
            }
            Span smaller = firstFitting(node.left, footprint, alignment);
            if (smaller != null) {
                return smaller;
            }
            if (node.fits(footprint, alignment)) {
                return node;
            }
            node = node.right;
        }
        return null;
    }

    /** Adds a piece that is in no list (its block links it already). */
    void add(Span piece) {
        piece.list = this;
        piece.left = null;
        piece.right = null;
        piece.priority = nextPriority();
        root = insert(root, piece);
        bytes += piece.size;
        count++;
    }

    /** Removes a piece of this list; it stays linked in its block. */
    void remove(Span piece) {
        root = delete(root, piece);
        piece.list = null;
        piece.left = null;
        piece.right = null;
        bytes -= piece.size;
        count--;
    }

    /** Bytes held by the list. */
    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return root == null;
    }

    /** Removes and returns every piece, smallest first. */
    List<Span> drain() {
        List<Span> all = new ArrayList<>(count);
        collect(root, all);
        for (Span piece : all) {
            piece.list = null;
            piece.left = null;
            piece.right = null;
        }
        root = null;
        bytes = 0;
        count = 0;
        return all;
    }

    private static void collect(Span node, List<Span> into) {
        while (node != null) {
            collect(node.left, into);
            into.add(node);
            node = node.right;
        }
    }

    /**
     * Checks the tree (key order, heap order of priorities, every node owned by this list) and the byte and piece
     * counts; throws {@link IllegalStateException} naming the first broken rule. For tests: O(n).
     */
    void checkInvariants() {
        long[] totals = new long[2];
        check(root, null, null, totals);
        if (totals[0] != count || totals[1] != bytes) {
            throw new IllegalStateException("free list counts " + count + " pieces / " + bytes + " bytes, its tree holds "
                    + totals[0] + " / " + totals[1]);
        }
    }

    private void check(Span node, Span low, Span high, long[] totals) {
        if (node == null) {
            return;
        }
        if (node.list != this) {
            throw new IllegalStateException(node + " is in the tree of a list it does not name");
        }
        if ((low != null && !before(low, node)) || (high != null && !before(node, high))) {
            throw new IllegalStateException(node + " is out of size order");
        }
        if ((node.left != null && node.left.priority > node.priority)
                || (node.right != null && node.right.priority > node.priority)) {
            throw new IllegalStateException(node + " breaks the heap order of priorities");
        }
        totals[0]++;
        totals[1] += node.size;
        check(node.left, low, node, totals);
        check(node.right, node, high, totals);
    }

    private int nextPriority() {
        int x = seed;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        seed = x;
        return x;
    }

    private static Span insert(Span node, Span piece) {
        if (node == null) {
            return piece;
        }
        if (before(piece, node)) {
            node.left = insert(node.left, piece);
            if (node.left.priority > node.priority) {
                Span up = node.left;
                node.left = up.right;
                up.right = node;
                return up;
            }
        } else {
            node.right = insert(node.right, piece);
            if (node.right.priority > node.priority) {
                Span up = node.right;
                node.right = up.left;
                up.left = node;
                return up;
            }
        }
        return node;
    }

    private static Span delete(Span node, Span piece) {
        if (node == null) {
            throw new IllegalStateException("free list does not hold " + piece);
        }
        if (node == piece) {
            return join(piece.left, piece.right);
        }
        if (before(piece, node)) {
            node.left = delete(node.left, piece);
        } else {
            node.right = delete(node.right, piece);
        }
        return node;
    }

    /** Joins two treaps whose keys are all smaller in {@code low} than in {@code high}. */
    private static Span join(Span low, Span high) {
        if (low == null) {
            return high;
        }
        if (high == null) {
            return low;
        }
        if (low.priority > high.priority) {
            low.right = join(low.right, high);
            return low;
        }
        high.left = join(low, high.left);
        return high;
    }

    /** The list's order: size, then block id, then offset. */
    private static boolean before(Span a, Span b) {
        if (a.size != b.size) {
            return a.size < b.size;
        }
        if (a.block.id != b.block.id) {
            return a.block.id < b.block.id;
        }
        return a.offset < b.offset;
    }
}
