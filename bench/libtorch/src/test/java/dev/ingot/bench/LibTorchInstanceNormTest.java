package dev.ingot.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LibTorch's InstanceNorm through DJL against a float64 reference and against ingot, as the benchmark relies on. */
class LibTorchInstanceNormTest {
    /** float32 results against the float64 reference. */
    static final double FLOAT32_TOLERANCE = 2e-5;

    private static NDManager manager;

    @BeforeAll
    static void loadEngine() {
        manager = LibTorchInstanceNorm.engine(1).newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    @Test
    void forwardAndBackwardMatchFloat64AndIngotOnAnImageBatch() {
        InstanceNormCase c = InstanceNormCase.random(new long[] {3, 4, 6, 5}, 11);
        InstanceNormResults reference = Float64InstanceNorm.run(c);
        InstanceNormResults libTorch = LibTorchInstanceNorm.run(c, manager);
        InstanceNormResults ingot = InstanceNormResults.ingot(c, 1);

        libTorch.requireCloseTo(reference, FLOAT32_TOLERANCE);
        ingot.requireCloseTo(reference, FLOAT32_TOLERANCE);
        libTorch.requireCloseTo(ingot, LibTorchInstanceNormBench.TOLERANCE);
        assertTrue(InstanceNormResults.relativeError(reference.dgamma(), libTorch.dgamma()) < FLOAT32_TOLERANCE);
    }

    @Test
    void theCheckRejectsResultsThatDiffer() {
        InstanceNormCase c = InstanceNormCase.random(new long[] {2, 3, 16}, 5);
        InstanceNormResults ingot = InstanceNormResults.ingot(c, 1);
        float[] dx = ingot.dx().clone();
        dx[7] += 1e-2f;
        InstanceNormResults wrong = new InstanceNormResults(ingot.y(), dx, ingot.dgamma(), ingot.dbeta());

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> wrong.requireCloseTo(ingot, LibTorchInstanceNormBench.TOLERANCE));
        assertTrue(e.getMessage().startsWith("dx: relative error"), e.getMessage());
        assertTrue(e.getMessage().contains("index 7"), e.getMessage());
    }

    @Test
    void gradientsDoNotCarryOverBetweenRuns() {
        InstanceNormCase c = InstanceNormCase.random(new long[] {2, 3, 4, 4}, 3);
        InstanceNormResults first = LibTorchInstanceNorm.run(c, manager);
        InstanceNormResults second = LibTorchInstanceNorm.run(c, manager);
        assertArrayEquals(first.dx(), second.dx());
        assertArrayEquals(first.dgamma(), second.dgamma());
    }

    @Test
    void engineSetsLibTorchIntraOpThreads() {
        try {
            Engine engine = LibTorchInstanceNorm.engine(2);
            assertEquals("PyTorch", engine.getEngineName());
            assertEquals(2, JniUtils.getNumThreads());
        } finally {
            LibTorchInstanceNorm.engine(1);
        }
        assertEquals(1, JniUtils.getNumThreads());
        assertThrows(IllegalArgumentException.class, () -> LibTorchInstanceNorm.engine(0));
    }

    @Test
    void benchmarkSetupChecksAndRunsBothBenchmarks() {
        LibTorchInstanceNormBench bench = new LibTorchInstanceNormBench();
        bench.shape = "2x3x8x8";
        bench.threads = 1;
        bench.setUp();
        try {
            LibTorchInstanceNormBench.RecordedForward graph = new LibTorchInstanceNormBench.RecordedForward();
            for (int call = 0; call < 3; call++) {
                graph.record(bench);
                bench.backward(graph);
                graph.release();
                bench.forward();
            }
        } finally {
            bench.tearDown();
        }
    }

    @Test
    void shapesAreParsedAsTheIngotBenchmarksWriteThem() {
        assertArrayEquals(new long[] {2, 16, 16, 32, 32}, InstanceNormCase.parseShape("2x16x16x32x32"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InstanceNormCase.parseShape("8x64"));
        assertTrue(e.getMessage().contains("'8x64'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InstanceNormCase.parseShape("8x0x4"));
    }
}
