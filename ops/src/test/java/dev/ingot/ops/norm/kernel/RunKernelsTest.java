package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The run kernels, scalar and Vector API, against each other over every tail length: writes bitwise, sums close. */
class RunKernelsTest {
    private static final RunKernels SCALAR = Kernels.scalarSet().runs();
    private static final RunKernels VECTOR = Kernels.vectorSet().orElseThrow(
            () -> new AssertionError("tests run with --add-modules jdk.incubator.vector")).runs();

    private static MemorySegment random(Arena arena, int n, Random r, double offset) {
        MemorySegment s = arena.allocate((long) n * Float.BYTES, 64);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (offset + r.nextGaussian()));
        }
        return s;
    }

    private static float[] floats(MemorySegment s, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }
        return f;
    }

    @Test
    void vectorAndScalarAgreeForEveryTailLength() {
        Random r = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            for (int count = 0; count <= 37; count++) {
                int n = count + 3; // runs start at an offset of 3
                MemorySegment x = random(arena, n, r, 100);
                MemorySegment dy = random(arena, n, r, 5);
                MemorySegment gamma = random(arena, n, r, 1);
                MemorySegment beta = random(arena, n, r, 0);
                double[] a = new double[4];
                double[] b = new double[4];
                SCALAR.gradSums(x, dy, 3, count, 100.25, gamma, 3, a, 0);
                VECTOR.gradSums(x, dy, 3, count, 100.25, gamma, 3, b, 0);
                for (int i = 0; i < 4; i++) {
                    assertEquals(a[i], b[i], 1e-12 * (1 + Math.abs(a[i])) * (count + 1), "sum " + i + " n=" + count);
                }
                assertEquals(SCALAR.sumSquares(x, 3, count), VECTOR.sumSquares(x, 3, count),
                        1e-12 * SCALAR.sumSquares(x, 3, count) + 1e-300);
                MemorySegment y1 = arena.allocate((long) n * Float.BYTES);
                MemorySegment y2 = arena.allocate((long) n * Float.BYTES);
                SCALAR.normalizeEach(x, y1, 3, count, 100, 0.7, gamma, beta, 3);
                VECTOR.normalizeEach(x, y2, 3, count, 100, 0.7, gamma, beta, 3);
                assertArrayEquals(floats(y1, n), floats(y2, n), "normalizeEach n=" + count);
                SCALAR.normalize(x, y1, 3, count, 100, 0.7, 0.1);
                VECTOR.normalize(x, y2, 3, count, 100, 0.7, 0.1);
                assertArrayEquals(floats(y1, n), floats(y2, n), "normalize n=" + count);
                SCALAR.gradInput(x, dy, y1, 3, count, 100, 0.7, 1.3, 0.2, 0.05);
                VECTOR.gradInput(x, dy, y2, 3, count, 100, 0.7, 1.3, 0.2, 0.05);
                assertArrayEquals(floats(y1, n), floats(y2, n), "gradInput n=" + count);
                double[] g1 = new double[n];
                double[] b1 = new double[n];
                double[] g2 = new double[n];
                double[] b2 = new double[n];
                SCALAR.gradInputEach(x, dy, y1, 3, count, 100, 0.7, gamma, 3, 0.2, 0.05, g1, b1, 1);
                VECTOR.gradInputEach(x, dy, y2, 3, count, 100, 0.7, gamma, 3, 0.2, 0.05, g2, b2, 1);
                assertArrayEquals(floats(y1, n), floats(y2, n), "gradInputEach n=" + count);
                assertArrayEquals(g1, g2, "dgamma partials n=" + count);
                assertArrayEquals(b1, b2, "dbeta partials n=" + count);
            }
        }
    }
}
