package dev.ingot.runtime;

import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Counted foreign memory over real {@code malloc}'d blocks: release once, after the last holder, never under a reader. */
class ForeignMemoryTest {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    /** A malloc'd block and a release that frees it and counts. */
    static final class Block {
        final MemorySegment segment;
        final AtomicInteger releases = new AtomicInteger();

        Block(long bytes) {
            try {
                MemorySegment raw = (MemorySegment) MALLOC.invokeExact(bytes);
                assertFalse(raw.equals(MemorySegment.NULL), "malloc failed");
                segment = raw.reinterpret(bytes);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        void free() {
            try {
                FREE.invokeExact(MemorySegment.ofAddress(segment.address()));
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            releases.incrementAndGet();
        }
    }

    @Test
    void releaseRunsOnceAfterTheLastViewWhateverTheOrder() {
        Block block = new Block(64);
        ForeignMemory memory = ForeignMemory.of(block.segment, block::free);
        Tensor a = memory.tensor(TensorType.float32(2, 3));
        Tensor b = memory.tensor(8, TensorType.float32(4));
        a.copyFrom(new float[] {1, 2, 3, 4, 5, 6});
        assertArrayEquals(new float[] {3, 4, 5, 6}, b.toFloatArray(), "views share the bytes");
        assertEquals(block.segment.address(), a.segment().address(), "zero copy");
        assertEquals(3, memory.holds());

        memory.close();
        memory.close();
        a.close();
        a.close();
        assertEquals(0, block.releases.get(), "b still holds the memory");
        assertFalse(memory.isReleased());
        b.close();
        assertEquals(1, block.releases.get());
        assertTrue(memory.isReleased());
        b.close();
        memory.close();
        assertEquals(1, block.releases.get(), "closing again releases nothing");
        assertEquals(0, memory.holds());
    }

    @Test
    void aSegmentKeptPastTheReleaseThrowsInsteadOfReadingFreedMemory() {
        Block block = new Block(16);
        Tensor t = Tensor.wrap(block.segment, TensorType.float32(4), block::free);
        MemorySegment kept = t.segment();
        t.close();
        assertEquals(1, block.releases.get());
        assertThrows(IllegalStateException.class, t::segment);
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_FLOAT, 0));
        assertThrows(IllegalStateException.class, t::toFloatArray);
    }

    @Test
    void aViewAfterTheReleaseIsRefused() {
        Block block = new Block(16);
        ForeignMemory memory = ForeignMemory.of(block.segment, block::free);
        memory.close();
        assertEquals(1, block.releases.get());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> memory.tensor(TensorType.float32(4)));
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        assertThrows(IllegalStateException.class, memory::hold);
    }

    @Test
    void aHoldKeepsAnAllocatedTensorsMemoryPastItsClose() {
        Tensor t = Tensor.copyOf(new float[] {1, 2, 3}, Shape.of(3));
        MemorySegment kept = t.segment();
        ForeignMemory.Hold hold = ForeignMemory.hold(t.reshape(Shape.of(3)));
        t.close();
        assertEquals(2f, kept.getAtIndex(ValueLayout.JAVA_FLOAT, 1), "the hold keeps the bytes");
        assertFalse(hold.memory().isReleased());
        hold.close();
        hold.close();
        assertTrue(hold.memory().isReleased());
        assertThrows(IllegalStateException.class, () -> kept.getAtIndex(ValueLayout.JAVA_FLOAT, 1));
    }

    @Test
    void holdingMemoryIngotDoesNotCountIsRefused() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Tensor plain = Tensor.wrap(arena.allocate(16), TensorType.float32(4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ForeignMemory.hold(plain));
            assertTrue(e.getMessage().startsWith("tensor: expected memory whose lifetime ingot counts"), e.getMessage());
            plain.close();
            assertThrows(IllegalStateException.class, () -> ForeignMemory.hold(plain));
        }
    }

    @Test
    void aReleaseThatThrowsReachesTheLastCloserOnceAndStillCountsAsReleased() {
        Block block = new Block(16);
        ForeignMemory memory = ForeignMemory.of(block.segment, () -> {
            block.free();
            throw new IllegalStateException("deleter failed");
        });
        Tensor t = memory.tensor(TensorType.float32(4));
        MemorySegment kept = t.segment();
        memory.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::close);
        assertEquals("deleter failed", e.getMessage());
        assertTrue(t.isClosed());
        t.close();
        memory.close();
        assertEquals(1, block.releases.get());
        assertTrue(memory.isReleased());
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void closingWhileAnotherThreadReadsNeverFreesUnderTheReader() throws Exception {
        for (int round = 0; round < 20; round++) {
            Block block = new Block(1 << 16);
            ForeignMemory memory = ForeignMemory.of(block.segment, block::free);
            Tensor t = memory.tensor(TensorType.float32(1 << 14));
            float[] values = new float[1 << 14];
            java.util.Arrays.fill(values, 7f);
            t.copyFrom(values);
            memory.close();
            CountDownLatch reading = new CountDownLatch(1);
            AtomicReference<Throwable> readerFailure = new AtomicReference<>();
            AtomicInteger wrongValues = new AtomicInteger();
            Thread reader = new Thread(() -> {
                try {
                    reading.countDown();
                    while (true) {
                        for (float v : t.toFloatArray()) {
                            if (v != 7f) {
                                wrongValues.incrementAndGet();
                            }
                        }
                    }
                } catch (IllegalStateException expected) {
                    // closed under the reader: the only allowed outcome besides correct values
                } catch (Throwable other) {
                    readerFailure.set(other);
                }
            });
            reader.start();
            reading.await();
            t.close();
            reader.join(10_000);
            assertFalse(reader.isAlive(), "the reader stopped");
            assertNull(readerFailure.get());
            assertEquals(0, wrongValues.get(), "never read anything but the values written");
            assertEquals(1, block.releases.get());
        }
    }

    @Test
    void readOnlyMemoryGivesReadOnlyViews() {
        Block block = new Block(16);
        ForeignMemory memory = ForeignMemory.of(block.segment.asReadOnly(), block::free);
        try (Tensor t = memory.tensor(TensorType.float32(4))) {
            assertTrue(t.isReadOnly());
            assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[4]));
        } finally {
            memory.close();
        }
        assertEquals(1, block.releases.get());
    }

    @Test
    void aViewThatDoesNotFitTakesNoHold() {
        Block block = new Block(16);
        ForeignMemory memory = ForeignMemory.of(block.segment, block::free);
        assertThrows(IllegalArgumentException.class, () -> memory.tensor(2, TensorType.float32(2)));
        assertThrows(IllegalArgumentException.class, () -> memory.tensor(8, TensorType.float32(4)));
        assertThrows(IllegalArgumentException.class, () -> memory.tensor(-4, TensorType.float32(1)));
        assertEquals(1, memory.holds());
        memory.close();
        assertEquals(1, block.releases.get());
    }

    @Test
    void aReshapeOfAnOwningWrapFailsLoudlyOnceTheBaseIsClosed() {
        Block block = new Block(24);
        Tensor t = Tensor.wrap(block.segment, TensorType.float32(2, 3), block::free);
        Tensor flat = t.reshape(Shape.of(6));
        t.close();
        assertEquals(1, block.releases.get());
        assertThrows(IllegalStateException.class, flat::toFloatArray);
        assertSame(t, flat.root());
    }
}
