package dev.ingot.runtime;

import dev.ingot.allocator.DeferBufferAllocator;
import dev.ingot.allocator.EagerBufferAllocator;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorTest {

    @Test
    void wrapIsZeroCopyBothWays() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(24, 64);
            Tensor t = Tensor.wrap(memory, TensorType.float32(2, 3));
            memory.setAtIndex(ValueLayout.JAVA_FLOAT, 4, 7f);
            assertEquals(7f, t.toFloatArray()[4]);
            t.copyFrom(new float[] {1, 2, 3, 4, 5, 6});
            assertEquals(6f, memory.getAtIndex(ValueLayout.JAVA_FLOAT, 5));
            assertEquals(24, t.segment().byteSize());
            assertEquals(memory.address(), t.segment().address());
            t.close();
            assertThrows(IllegalStateException.class, t::segment);
            assertEquals(6f, memory.getAtIndex(ValueLayout.JAVA_FLOAT, 5), "wrapped memory stays the caller's");
        }
    }

    @Test
    void wrapChecksSizeAndAlignment() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(64, 64);
            IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.wrap(memory.asSlice(0, 20), TensorType.float32(2, 3)));
            assertTrue(small.getMessage().contains("24"), small.getMessage());
            IllegalArgumentException misaligned = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.wrap(memory.asSlice(2, 24), TensorType.float32(2, 3)));
            assertTrue(misaligned.getMessage().contains("aligned"), misaligned.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(memory.asSlice(4, 48),
                    new TensorType(Shape.of(2, 3), DType.FLOAT64, Layout.NCHW)));
        }
    }

    @Test
    void readOnlySegmentGivesReadOnlyTensor() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(16, 64);
            Tensor t = Tensor.wrap(memory.asReadOnly(), TensorType.float32(4));
            assertTrue(t.isReadOnly());
            assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[4]));
            assertThrows(IllegalArgumentException.class,
                    () -> t.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 0, 1f));
            assertTrue(t.reshape(Shape.of(2, 2)).isReadOnly());
        }
    }

    @Test
    void directBuffers() {
        ByteBuffer bytes = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
        Tensor t = Tensor.wrap(bytes, TensorType.float32(8));
        t.copyFrom(new float[] {0, 1, 2, 3, 4, 5, 6, 7});
        assertEquals(5f, bytes.getFloat(20));
        assertTrue(Tensor.wrap(bytes.asReadOnlyBuffer(), TensorType.float32(8)).isReadOnly());
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(ByteBuffer.allocate(32),
                TensorType.float32(8)));

        FloatBuffer floats = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Tensor f = Tensor.wrap(floats, Shape.of(2, 3));
        floats.put(2, 9f);
        assertEquals(9f, f.toFloatArray()[2]);
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN
                : ByteOrder.LITTLE_ENDIAN;
        assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(ByteBuffer.allocateDirect(24).order(other).asFloatBuffer(), Shape.of(2, 3)));
    }

    @Test
    void ownedCopiesAndClose() {
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.copyOf(data, Shape.of(1, 2, 3));
        assertArrayEquals(data, t.toFloatArray());
        assertEquals(0, t.segment().address() % 64);
        assertEquals(6, t.elementCount());
        assertEquals(24, t.byteSize());
        MemorySegment kept = t.segment();
        t.close();
        t.close();
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, t::segment);
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_FLOAT, 0),
                "memory of a closed owned tensor is gone");
        assertThrows(IllegalArgumentException.class, () -> Tensor.copyOf(new float[5], Shape.of(2, 3)));
    }

    @Test
    void allocatorBackedTensorsGiveTheirChunkBack() {
        try (EagerBufferAllocator allocator = new EagerBufferAllocator();
             DeferBufferAllocator planner = new DeferBufferAllocator()) {
            Tensor t = Tensor.allocate(TensorType.float32(3, 5), allocator);
            t.copyFrom(new float[15]);
            assertEquals(1, allocator.liveChunks().chunks());
            t.close();
            assertEquals(0, allocator.liveChunks().chunks());
            assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(TensorType.float32(4), planner));
            assertEquals(0, planner.liveChunks().chunks(), "the refused chunk was given back");
        }
    }

    @Test
    void doublesRoundTrip() {
        double[] data = {1e-300, 2.5, -3};
        try (Tensor t = Tensor.copyOf(data, Shape.of(3))) {
            assertEquals(DType.FLOAT64, t.dtype());
            assertArrayEquals(data, t.toDoubleArray());
        }
    }

    @Test
    void reshapeSharesMemoryWhereLayoutAllows() {
        try (Tensor t = Tensor.copyOf(new float[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3))) {
            Tensor view = t.reshape(Shape.of(3, 2));
            assertEquals(Shape.of(3, 2), view.shape());
            view.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 5, 60f);
            assertEquals(60f, t.toFloatArray()[5]);
            assertThrows(IllegalArgumentException.class, () -> t.reshape(Shape.of(4, 2)));
            view.close();
            assertFalse(t.isClosed());
        }
        try (Tensor nhwc = Tensor.copyOf(new float[24], Shape.of(2, 3, 4), Layout.CHANNELS_LAST)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> nhwc.reshape(Shape.of(6, 4)));
            assertTrue(e.getMessage().contains("CHANNELS_LAST"), e.getMessage());
            assertEquals(Shape.of(2, 3, 4), nhwc.reshape(Shape.of(2, 3, 4)).shape());
        }
    }

    @Test
    void viewOfClosedBaseFails() {
        Tensor t = Tensor.copyOf(new float[4], Shape.of(4));
        Tensor view = t.reshape(Shape.of(2, 2));
        t.close();
        assertThrows(IllegalStateException.class, view::segment);
    }
}
