package dev.ingot.allocator;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The free list's tree against a {@link TreeSet} model: same best fit, same bytes, same order when drained. */
class FreeListPropertyTest {
    private static final Comparator<Span> MODEL_ORDER = Comparator.<Span>comparingLong(span -> span.size)
            .thenComparingLong(span -> span.block.id)
            .thenComparingLong(span -> span.offset);

    @Property(tries = 100)
    void bestFitAddAndRemoveMatchASortedSetScan(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed) {
        Random random = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(1 << 20, 4096);
            // Two blocks, one whose base is only 64-byte aligned, so larger alignments need padding.
            List<Block> blocks = List.of(new Block(0, memory.asSlice(0, 1 << 19), false),
                    new Block(1, memory.asSlice((1 << 19) + 64, (1 << 19) - 64), false));
            FreeList list = new FreeList();
            TreeSet<Span> model = new TreeSet<>(MODEL_ORDER);
            long[] nextOffset = new long[blocks.size()];
            for (int step = 0; step < 300; step++) {
                int kind = random.nextInt(10);
                if (kind < 5 || model.isEmpty()) {
                    int which = random.nextInt(blocks.size());
                    Span span = new Span();
                    span.block = blocks.get(which);
                    span.offset = nextOffset[which];
                    span.size = 64L * (1 + random.nextInt(random.nextBoolean() ? 4 : 64)); // many equal sizes
                    nextOffset[which] += span.size + 64 * random.nextInt(3);
                    list.add(span);
                    model.add(span);
                } else if (kind < 8) {
                    Span span = new ArrayList<>(model).get(random.nextInt(model.size()));
                    list.remove(span);
                    model.remove(span);
                } else {
                    long footprint = 64L * (1 + random.nextInt(70));
                    long alignment = 1L << random.nextInt(13);
                    assertSame(modelBestFit(model, footprint, alignment), list.bestFit(footprint, alignment),
                            "best fit of " + footprint + " bytes at alignment " + alignment);
                }
                list.checkInvariants();
                assertEquals(model.stream().mapToLong(span -> span.size).sum(), list.bytes());
            }
            List<Span> expected = new ArrayList<>(model);
            assertEquals(expected, list.drain(), "drain gives every piece, smallest first");
            assertEquals(0, list.bytes());
            list.checkInvariants();
        }
    }

    private static Span modelBestFit(TreeSet<Span> model, long footprint, long alignment) {
        for (Span span : model) {
            if (span.size >= footprint && span.fits(footprint, alignment)) {
                return span;
            }
        }
        return null;
    }
}
