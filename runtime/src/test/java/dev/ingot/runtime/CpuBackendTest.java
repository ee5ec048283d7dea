package dev.ingot.runtime;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuBackendTest {

    private static CpuBackend backend(MemoryMode mode) {
        return CpuBackend.builder().memoryMode(mode).threads(2).build();
    }

    @Test
    void staticAcquireBindsAtOnceAndReleaseTakesItAway() {
        try (CpuBackend backend = backend(MemoryMode.DEFERRED)) {
            Tensor t = backend.newTensor(TensorType.float32(4, 4));
            assertFalse(t.isBacked());
            assertThrows(IllegalStateException.class, t::segment);
            backend.acquire(t, StorageType.STATIC);
            assertEquals(64, t.segment().byteSize());
            assertEquals(0, t.segment().address() % 64);
            assertThrows(IllegalStateException.class, () -> backend.acquire(t, StorageType.STATIC));
            MemorySegment kept = t.segment();
            backend.release(t, StorageType.STATIC);
            assertThrows(IllegalStateException.class, t::segment);
            assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_FLOAT, 0),
                    "checked mode: released memory cannot be reached through an old segment");
            assertThrows(IllegalStateException.class, () -> backend.release(t, StorageType.STATIC));
            assertEquals(0, backend.staticBytesInUse());
        }
    }

    @Test
    void closingAStaticTensorGivesItsMemoryBack() {
        try (CpuBackend backend = backend(MemoryMode.EAGER)) {
            Tensor t = backend.newTensor(TensorType.float32(16));
            backend.acquire(t, StorageType.STATIC);
            assertTrue(backend.staticBytesInUse() >= 64);
            t.close();
            assertEquals(0, backend.staticBytesInUse());
            assertTrue(backend.leaksAtClose().isEmpty());
        }
    }

    @Test
    void closeFreesAndReportsLeaks() {
        CpuBackend backend = backend(MemoryMode.DEFERRED);
        Tensor t = backend.newTensor(TensorType.float32(100));
        backend.acquire(t, StorageType.STATIC);
        backend.close();
        assertEquals(1, backend.leaksAtClose().chunks());
        assertEquals(400, backend.leaksAtClose().bytes());
        assertThrows(IllegalStateException.class, t::segment);
        assertThrows(IllegalStateException.class, () -> backend.newTensor(TensorType.float32(1)));
        backend.close();
    }

    @Test
    void foreignTensorsAreRefused() {
        try (CpuBackend a = backend(MemoryMode.DEFERRED); CpuBackend b = backend(MemoryMode.DEFERRED);
             Tensor owned = Tensor.allocate(TensorType.float32(2))) {
            assertThrows(IllegalArgumentException.class, () -> a.acquire(owned, StorageType.STATIC));
            Tensor ofB = b.newTensor(TensorType.float32(2));
            assertThrows(IllegalArgumentException.class, () -> a.acquire(ofB, StorageType.STATIC));
        }
    }

    @Test
    void dynamicMemoryOnlyInsideResize() {
        for (MemoryMode mode : MemoryMode.values()) {
            try (CpuBackend backend = backend(mode)) {
                Tensor a = backend.newTensor(TensorType.float32(256));
                Tensor b = backend.newTensor(TensorType.float32(256));
                Tensor c = backend.newTensor(TensorType.float32(256));
                assertThrows(IllegalStateException.class, () -> backend.acquire(a, StorageType.DYNAMIC));
                backend.onResizeBegin();
                backend.acquire(a, StorageType.DYNAMIC);
                backend.acquire(b, StorageType.DYNAMIC_SEPARATE);
                backend.release(a, StorageType.DYNAMIC);
                backend.acquire(c, StorageType.DYNAMIC);
                assertThrows(IllegalStateException.class, a::segment, "bound only when the resize ends");
                backend.onResizeEnd();
                assertEquals(1024, a.segment().byteSize());
                assertEquals(a.segment().address(), c.segment().address(), mode + ": c reuses a's memory");
                assertFalse(overlap(b.segment(), c.segment()), mode + ": separate memory is never shared");
                c.copyFrom(new float[256]);

                Tensor d = backend.newTensor(TensorType.float32(1 << 18)); // 1 MiB: a block of its own
                backend.onResizeBegin();
                backend.acquire(d, StorageType.DYNAMIC_SEPARATE);
                backend.release(d, StorageType.DYNAMIC);
                backend.acquire(a, StorageType.DYNAMIC);
                backend.onResizeEnd();
                d.copyFrom(new float[1 << 18]); // released, yet its memory is its own until the next resize
                assertFalse(overlap(a.segment(), d.segment()), mode + ": separate memory is never shared");

                backend.onResizeBegin();
                assertThrows(IllegalStateException.class, c::segment, "a new resize takes the old plan away");
                backend.onResizeEnd();
            }
        }
    }

    @Test
    void resizeOnAnotherThreadIsRefusedForDynamicAcquire() throws Exception {
        try (CpuBackend backend = backend(MemoryMode.DEFERRED)) {
            Tensor t = backend.newTensor(TensorType.float32(4));
            backend.onResizeBegin();
            Throwable[] seen = new Throwable[1];
            Thread other = new Thread(() -> {
                try {
                    backend.acquire(t, StorageType.DYNAMIC);
                } catch (Throwable e) {
                    seen[0] = e;
                }
            });
            other.start();
            other.join(30_000);
            backend.onResizeEnd();
            assertTrue(seen[0] instanceof IllegalStateException, String.valueOf(seen[0]));
        }
    }

    static boolean overlap(MemorySegment x, MemorySegment y) {
        return x.address() < y.address() + y.byteSize() && y.address() < x.address() + x.byteSize();
    }
}
