package dev.ingot.runtime.io;

import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Real native memory: libc malloc through the FFM linker, wrapped as tensors without copying. */
class NativeInteropTest {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    @Test
    void mallocMemoryWrappedTwiceSharesBytes() throws Throwable {
        long bytes = 6 * 4;
        MemorySegment raw = (MemorySegment) MALLOC.invokeExact(bytes);
        assertNotEquals(0L, raw.address(), "malloc failed");
        MemorySegment memory = raw.reinterpret(bytes);
        AtomicInteger freed = new AtomicInteger();
        Tensor owner = Tensor.wrap(memory, TensorType.float32(2, 3), () -> {
            try {
                FREE.invokeExact(raw);
                freed.incrementAndGet();
            } catch (Throwable t) {
                throw new IllegalStateException("free failed", t);
            }
        });
        Tensor flat = Tensor.wrap(memory, TensorType.float32(6));
        owner.copyFrom(new float[] {1, 2, 3, 4, 5, 6});
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, flat.toFloatArray(), "write through one, read the other");
        flat.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 4, -5f);
        assertEquals(-5f, owner.toFloatArray()[4]);
        assertEquals(memory.address(), owner.segment().address(), "zero copy");
        assertEquals(Shape.of(2, 3), owner.shape());

        flat.close();
        assertEquals(0, freed.get(), "closing a plain wrap frees nothing");
        owner.close();
        owner.close();
        assertEquals(1, freed.get(), "the owning wrap runs free exactly once");
        assertThrows(IllegalStateException.class, owner::segment);
    }

    @Test
    void misalignedNativeMemoryIsRefusedAndNotFreed() throws Throwable {
        MemorySegment raw = (MemorySegment) MALLOC.invokeExact(64L);
        try {
            MemorySegment memory = raw.reinterpret(64);
            AtomicInteger freed = new AtomicInteger();
            assertThrows(IllegalArgumentException.class,
                    () -> Tensor.wrap(memory.asSlice(1, 32), TensorType.float32(4), freed::incrementAndGet));
            assertEquals(0, freed.get());
        } finally {
            FREE.invokeExact(raw);
        }
    }
}
