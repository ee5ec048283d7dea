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

    private static float[] floatParams(Random r, int n, double offset) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (offset + r.nextGaussian());
        }
        return f;
    }

    @Test
    void fastKernelsAgreeForEveryTailLengthAndAcrossBlocks() {
        Random r = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int count : new int[] {0, 1, 5, 15, 16, 17, 31, 33, 63, 64, 65, 255, 256, 257, 1000, 4099}) {
                int n = count + 3; // runs start at an offset of 3
                MemorySegment x = random(arena, n, r, 100);
                MemorySegment dy = random(arena, n, r, 5);
                float[] gamma = floatParams(r, n, 1);
                float[] beta = floatParams(r, n, 0);
                // sums: the vector set's float blocks within 1e-6 of the scalar set's double sums' absolute terms
                double[] a = new double[5];
                double[] b = new double[5];
                SCALAR.fastGradSums(x, dy, 3, count, 100.25f, gamma, 1, a, 0);
                VECTOR.fastGradSums(x, dy, 3, count, 100.25f, gamma, 1, b, 0);
                double[] c = new double[5];
                double[] d = new double[5];
                SCALAR.fastGradSums(x, dy, 3, count, 100.25f, null, 0, c, 0);
                VECTOR.fastGradSums(x, dy, 3, count, 100.25f, null, 0, d, 0);
                double terms = 40.0 * (count + 1); // |x - shift| and |dy * gamma| stay well below 40 here
                for (int i = 0; i < 5; i++) {
                    double scale = i == 1 || i == 4 ? terms * 40 : terms;
                    assertEquals(a[i], b[i], 1e-6 * scale, "gamma sum " + i + " n=" + count);
                    assertEquals(c[i], d[i], 1e-6 * scale, "sum " + i + " n=" + count);
                }
                double[] e = new double[2];
                double[] f = new double[2];
                SCALAR.fastSums(x, 3, count, 100.25f, e, 0);
                VECTOR.fastSums(x, 3, count, 100.25f, f, 0);
                assertEquals(e[0], f[0], 1e-6 * terms, "fastSums sum n=" + count);
                assertEquals(e[1], f[1], 1e-6 * terms * 40, "fastSums squares n=" + count);
                // lane accumulators: three runs into the same lanes, then one flush
                double[] h = new double[5];
                double[] k = new double[5];
                float[] lanes = new float[5 * Math.max(1, VECTOR.lanesPerSum()) + 3];
                for (int run = 0; run < 3; run++) {
                    SCALAR.fastGradSumsInto(x, dy, 3, count, 100.25f, null, 0, h, 0);
                    VECTOR.fastGradSumsInto(x, dy, 3, count, 100.25f, lanes, 3, k, 0);
                }
                VECTOR.flushLanes(lanes, 3, 5, k, 0);
                for (int i = 0; i < 5; i++) {
                    double scale = 3 * (i == 1 || i == 4 ? terms * 40 : terms);
                    assertEquals(3 * c[i], h[i], 1e-9 * scale, "scalar lane sum " + i + " n=" + count);
                    assertEquals(h[i], k[i], 1e-6 * scale, "lane sum " + i + " n=" + count);
                }
                for (int i = 3; i < lanes.length; i++) {
                    assertEquals(0f, lanes[i], "lanes zeroed by the flush");
                }
                double[] h2 = new double[2];
                double[] k2 = new double[2];
                SCALAR.fastSumsInto(x, 3, count, 100.25f, null, 0, h2, 0);
                VECTOR.fastSumsInto(x, 3, count, 100.25f, lanes, 3, k2, 0);
                VECTOR.flushLanes(lanes, 3, 2, k2, 0);
                assertEquals(h2[0], k2[0], 1e-6 * terms, "fastSumsInto sum n=" + count);
                assertEquals(h2[1], k2[1], 1e-6 * terms * 40, "fastSumsInto squares n=" + count);
                // writes: bitwise
                MemorySegment y1 = arena.allocate((long) n * Float.BYTES);
                MemorySegment y2 = arena.allocate((long) n * Float.BYTES);
                SCALAR.fastNormalize(x, y1, 3, count, 100f, 0.7f, 0.01f, gamma, beta, 2);
                VECTOR.fastNormalize(x, y2, 3, count, 100f, 0.7f, 0.01f, gamma, beta, 2);
                assertArrayEquals(floats(y1, n), floats(y2, n), "fastNormalize n=" + count);
                SCALAR.fastNormalizeRun(x, y1, 3, count, 100f, 0.7f, 0.01f, 1.3f, -0.4f);
                VECTOR.fastNormalizeRun(x, y2, 3, count, 100f, 0.7f, 0.01f, 1.3f, -0.4f);
                assertArrayEquals(floats(y1, n), floats(y2, n), "fastNormalizeRun n=" + count);
                SCALAR.fastGradInputRun(x, dy, y1, 3, count, 100f, 0.7f, 0.01f, 0.2f, 0.05f, 1.3f);
                VECTOR.fastGradInputRun(x, dy, y2, 3, count, 100f, 0.7f, 0.01f, 0.2f, 0.05f, 1.3f);
                assertArrayEquals(floats(y1, n), floats(y2, n), "fastGradInputRun n=" + count);
                float[] g1 = floatParams(r, n, 0);
                float[] b1 = floatParams(r, n, 0);
                float[] g2 = g1.clone();
                float[] b2 = b1.clone();
                SCALAR.fastGradInput(x, dy, y1, 3, count, 100f, 0.7f, 0.01f, 0.2f, 0.05f, gamma, 2, g1, b1, 1);
                VECTOR.fastGradInput(x, dy, y2, 3, count, 100f, 0.7f, 0.01f, 0.2f, 0.05f, gamma, 2, g2, b2, 1);
                assertArrayEquals(floats(y1, n), floats(y2, n), "fastGradInput n=" + count);
                assertArrayEquals(g1, g2, "fast dgamma partials n=" + count);
                assertArrayEquals(b1, b2, "fast dbeta partials n=" + count);
            }
        }
    }

    @Test
    void partialsMoveIntoDoubleBitwiseAlikeAndClear() {
        Random r = new Random(7);
        for (int count : new int[] {0, 1, 7, 16, 17, 40}) {
            float[] f1 = floatParams(r, count + 5, 0);
            float[] f2 = f1.clone();
            double[] d1 = new double[count + 5];
            double[] d2 = new double[count + 5];
            java.util.Arrays.fill(d1, 0.1);
            java.util.Arrays.fill(d2, 0.1);
            SCALAR.addAndClear(f1, d1, 2, count);
            VECTOR.addAndClear(f2, d2, 2, count);
            assertArrayEquals(d1, d2, "n=" + count);
            assertArrayEquals(f1, f2, "n=" + count);
            for (int i = 2; i < 2 + count; i++) {
                assertEquals(0f, f2[i], "cleared");
            }
        }
    }

    @Test
    void fastWritesMayOverwriteTheirInput() {
        Random r = new Random(6);
        try (Arena arena = Arena.ofConfined()) {
            int n = 100;
            MemorySegment x = random(arena, n, r, 0);
            MemorySegment dy = random(arena, n, r, 0);
            MemorySegment out = arena.allocate((long) n * Float.BYTES);
            VECTOR.fastGradInputRun(x, dy, out, 0, n, 0.1f, 1.5f, 0f, 0.3f, 0.2f, 0.9f);
            VECTOR.fastGradInputRun(x, dy, dy, 0, n, 0.1f, 1.5f, 0f, 0.3f, 0.2f, 0.9f);
            assertArrayEquals(floats(out, n), floats(dy, n), "dx written over dy");
        }
    }
}
