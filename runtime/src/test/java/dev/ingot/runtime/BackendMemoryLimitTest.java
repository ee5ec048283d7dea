package dev.ingot.runtime;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.allocator.MemoryBudget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A backend's memory limit covers STATIC and DYNAMIC tensor memory; past it planning fails and nothing breaks. */
class BackendMemoryLimitTest {
    private static final long MIB = 1 << 20;

    /** A pipeline of {@code ops} AddConstant ops over {@code rows} x 1024 floats (rows * 4 KiB per tensor). */
    private static Pipeline chain(CpuBackend backend, int rows, int ops) {
        Pipeline.Builder b = Pipeline.builder(backend);
        Tensor t = b.input(TensorType.float32(rows, 1024));
        for (int i = 0; i < ops; i++) {
            t = b.op(new TestOps.AddConstant(backend, 1, false), t);
        }
        b.output(t);
        return b.build();
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void planningPastTheLimitFailsNamingTheBackendAndTheBackendStaysUsable(MemoryMode mode) {
        try (CpuBackend backend = CpuBackend.builder().memoryMode(mode).threads(1).name("tenant-a")
                .memoryLimit(8 * MIB).build()) {
            // 4 MiB tensors: input + output static (8 MiB) leave nothing for the intermediates.
            AllocationLimitException e = assertThrows(AllocationLimitException.class, () -> chain(backend, 1024, 4));
            assertEquals("tenant-a", e.tenant());
            assertEquals(8 * MIB, e.limit());
            assertTrue(e.getMessage().contains("tenant 'tenant-a'"), e.getMessage());
            assertTrue(backend.memoryBudget().reserved() <= 8 * MIB);

            // The backend still plans and runs what fits.
            try (Pipeline small = chain(backend, 16, 3)) {
                small.inputs().get(0).copyFrom(new float[16 * 1024]);
                small.run();
                float[] expected = new float[16 * 1024];
                java.util.Arrays.fill(expected, 3f);
                assertArrayEquals(expected, small.outputs().get(0).toFloatArray());
                assertTrue(backend.memoryBudget().reserved() > 0);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void staticAndDynamicMemoryOfEveryPipelineCountInTheBackendsBudget(MemoryMode mode) {
        MemoryBudget service = MemoryBudget.root("service", 64 * MIB);
        try (CpuBackend backend = CpuBackend.builder().memoryMode(mode).threads(1).name("b1")
                .parentBudget(service).build()) {
            assertEquals("b1", backend.memoryBudget().name());
            assertEquals(service, backend.memoryBudget().parent());
            try (Pipeline p = chain(backend, 256, 3)) { // 1 MiB tensors
                long reserved = backend.memoryBudget().reserved();
                assertTrue(reserved >= 3 * MIB, "input, output and at least one intermediate: " + reserved);
                assertEquals(reserved, service.reserved());
                p.run();
            }
        }
        assertEquals(0, service.reserved(), "a closed backend returns everything to its parent");
        assertTrue(service.snapshot().children().isEmpty(), "and detaches its budget");
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void aSharedParentsLimitRefusesTheBackendThatWouldPassIt(MemoryMode mode) {
        MemoryBudget service = MemoryBudget.root("service", Long.MAX_VALUE);
        try (CpuBackend first = CpuBackend.builder().memoryMode(mode).threads(1).name("first")
                .parentBudget(service).build();
             CpuBackend second = CpuBackend.builder().memoryMode(mode).threads(1).name("second")
                     .parentBudget(service).build();
             Pipeline big = chain(first, 512, 2)) { // 2 MiB tensors
            service.limit(service.reserved() + MIB); // room for less than another such pipeline
            AllocationLimitException e = assertThrows(AllocationLimitException.class, () -> chain(second, 512, 2));
            assertEquals("second", e.tenant());
            assertEquals("service", e.refusedBy());
            big.run(); // the first backend is unaffected
        }
        assertEquals(0, service.reserved());
    }
}
