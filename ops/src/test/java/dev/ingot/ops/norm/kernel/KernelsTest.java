package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.StatsLayout.FIELDS;
import static dev.ingot.ops.norm.kernel.StatsLayout.SHIFT;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_DY_X;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_SQ;
import static dev.ingot.ops.norm.kernel.StatsLayout.SUM_X;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.Problem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The plane kernels, scalar and Vector API, against each other and a float64 reference, over every tail length. */
class KernelsTest {
    private static final PlaneKernels SCALAR = Kernels.scalar();
    private static final PlaneKernels VECTOR = Kernels.vector().orElseThrow(
            () -> new AssertionError("tests run with --add-modules jdk.incubator.vector; vector kernels must load"));

    @Test
    void providerPicksVectorKernelsWhenTheModuleIsPresentUnlessScalarIsForced() {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        assertInstanceOf(VectorPlaneKernels.class, Kernels.lookup("", true).plane());
        assertInstanceOf(VectorRowKernels.class, Kernels.lookup("", true).rows());
        assertInstanceOf(VectorPlaneKernels.class, Kernels.lookup("vector", true).plane());
        assertEquals("scalar", Kernels.lookup("scalar", true).name());
        assertSame(SCALAR, Kernels.lookup(" Scalar ", false).plane());
        assertSame(SCALAR, Kernels.scalarSet().plane());
    }

    @Test
    void sumsMatchTheFloat64ReferenceForEveryTailLength() {
        Random r = new Random(1);
        Arena arena = Arena.ofAuto();
        for (int count = 0; count <= 4 * VectorPlaneKernels.lanes() + 3; count++) {
            for (int offset : new int[] {0, 1, 3}) {
                float[] x = Problem.uniform(r, offset + count, 995, 1005);
                float[] dy = Problem.uniform(r, offset + count, -1, 1);
                MemorySegment xs = PassHarness.segment(arena, x);
                MemorySegment dys = PassHarness.segment(arena, dy);
                double shift = 1000.25;
                double sum = 0, sumX = 0, sumSq = 0, sumDy = 0, sumDyX = 0, sumDySq = 0;
                double absSum = 0, absX = 0, absDy = 0, absDyX = 0;
                for (int i = offset; i < offset + count; i++) {
                    double d = x[i] - shift;
                    sum += x[i];
                    sumX += d;
                    sumSq += d * d;
                    sumDy += dy[i];
                    sumDyX += dy[i] * d;
                    sumDySq += (double) dy[i] * dy[i];
                    absSum += Math.abs(x[i]);
                    absX += Math.abs(d);
                    absDy += Math.abs(dy[i]);
                    absDyX += Math.abs(dy[i] * d);
                }
                for (PlaneKernels k : new PlaneKernels[] {SCALAR, VECTOR}) {
                    String what = k.getClass().getSimpleName() + " count=" + count + " offset=" + offset;
                    // scalar: double sums; vector: float-lane blocks from one vector on, a few float ulps of |terms|
                    double rel = k == SCALAR ? 1e-12 : 64 * Math.ulp(1f);
                    assertEquals(sum, k.sum(xs, offset, count), rel * Math.max(1, absSum), what);
                    double[] stats = new double[FIELDS];
                    stats[SHIFT] = shift;
                    k.centredSums(xs, offset, count, stats, 0);
                    assertEquals(sumX, stats[SUM_X], rel * Math.max(1, absX), what);
                    assertEquals(sumSq, stats[SUM_SQ], rel * Math.max(1, sumSq), what);
                    double[] grad = new double[2 * FIELDS];
                    grad[FIELDS + SHIFT] = shift;
                    k.gradSums(xs, offset, dys, offset, count, grad, FIELDS);
                    assertEquals(sumX, grad[FIELDS + SUM_X], rel * Math.max(1, absX), what);
                    assertEquals(sumSq, grad[FIELDS + SUM_SQ], rel * Math.max(1, sumSq), what);
                    assertEquals(sumDy, grad[FIELDS + SUM_DY], rel * Math.max(1, absDy), what);
                    assertEquals(sumDyX, grad[FIELDS + SUM_DY_X], rel * Math.max(1, absDyX), what);
                    assertEquals(sumDySq, grad[FIELDS + SUM_DY_SQ], rel * Math.max(1, sumDySq), what);
                }
            }
        }
    }

    @Test
    void floatBlockSumsStayWithinTheirBoundForEveryBlockCountAndTail() {
        Random r = new Random(4);
        Arena arena = Arena.ofAuto();
        int block = VectorPlaneKernels.BLOCK;
        for (int count : new int[] {block - 1, block, block + 5, 3 * block + 7, 20 * block + 13}) {
            for (double centre : new double[] {0, 1000, -3e7}) {
                double spread = centre == 0 ? 2 : Math.abs(centre) * 1e-5;
                float[] x = Problem.uniform(r, count + 1, centre - spread, centre + spread);
                float[] dy = Problem.uniform(r, count + 1, -1, 1);
                MemorySegment xs = PassHarness.segment(arena, x);
                MemorySegment dys = PassHarness.segment(arena, dy);
                float shift = (float) (centre + 0.1 * spread);
                double sum = 0, sumAbs = 0, sumX = 0, absX = 0, sumSq = 0, sumDy = 0, absDy = 0, sumDyX = 0, absDyX = 0;
                double sumDySq = 0;
                for (int i = 1; i <= count; i++) {
                    double d = x[i] - (double) shift;
                    sum += x[i];
                    sumAbs += Math.abs(x[i]);
                    sumX += d;
                    absX += Math.abs(d);
                    sumSq += d * d;
                    sumDy += dy[i];
                    absDy += Math.abs(dy[i]);
                    sumDyX += dy[i] * d;
                    absDyX += Math.abs(dy[i] * d);
                    sumDySq += (double) dy[i] * dy[i];
                }
                // A float block sum of k terms per lane errs by at most about k ulps of the sum of |terms|.
                double bound = 64 * Math.ulp(1f);
                String what = "count=" + count + " centre=" + centre;
                assertEquals(sum, VECTOR.sum(xs, 1, count), bound * sumAbs, what);
                double[] stats = new double[FIELDS];
                stats[SHIFT] = shift;
                VECTOR.centredSums(xs, 1, count, stats, 0);
                assertEquals(shift, stats[SHIFT], 0.0, what);
                assertEquals(sumX, stats[SUM_X], bound * absX, what);
                assertEquals(sumSq, stats[SUM_SQ], bound * sumSq, what);
                double[] grad = new double[FIELDS];
                grad[SHIFT] = shift;
                VECTOR.gradSums(xs, 1, dys, 1, count, grad, 0);
                assertEquals(sumX, grad[SUM_X], bound * absX, what);
                assertEquals(sumSq, grad[SUM_SQ], bound * sumSq, what);
                assertEquals(sumDy, grad[SUM_DY], bound * absDy, what);
                assertEquals(sumDyX, grad[SUM_DY_X], bound * absDyX, what);
                assertEquals(sumDySq, grad[SUM_DY_SQ], bound * sumDySq, what);
            }
        }
    }

    @Test
    void vectorSumsGiveTheSameBitsInterpretedAndCompiled() {
        Random r = new Random(6);
        Arena arena = Arena.ofAuto();
        int count = 4 * VectorPlaneKernels.BLOCK + 3;
        MemorySegment xs = PassHarness.segment(arena, Problem.uniform(r, count, -2, 3));
        MemorySegment dys = PassHarness.segment(arena, Problem.uniform(r, count, -1, 1));
        double[] first = new double[FIELDS];
        first[SHIFT] = 0.4;
        VECTOR.gradSums(xs, 0, dys, 0, count, first, 0); // early calls run interpreted
        double firstSum = VECTOR.sum(xs, 0, count);
        double[] later = new double[FIELDS];
        double laterSum = 0;
        for (int run = 0; run < 20_000; run++) { // enough runs for the JIT compilers to take over
            later[SHIFT] = 0.4;
            VECTOR.gradSums(xs, 0, dys, 0, count, later, 0);
            laterSum = VECTOR.sum(xs, 0, count);
        }
        assertArrayEquals(first, later);
        assertEquals(firstSum, laterSum, 0.0);
    }

    @Test
    void sumsFloatCannotHoldAreRedoneInDouble() {
        Arena arena = Arena.ofAuto();
        int count = 3 * VectorPlaneKernels.BLOCK + 5;
        Random r = new Random(5);
        float[] dy = Problem.uniform(r, count, -1, 1);
        MemorySegment dys = PassHarness.segment(arena, dy);
        // squares over float's range, squares below its normal range, and a constant plane (all squares zero)
        float[][] inputs = {Problem.uniform(r, count, -3e20, 3e20), Problem.uniform(r, count, -1e-25, 1e-25),
                            Problem.uniform(r, count, 1000.5, 1000.5)};
        for (float[] x : inputs) {
            MemorySegment xs = PassHarness.segment(arena, x);
            double[] scalar = new double[FIELDS];
            double[] vector = new double[FIELDS];
            scalar[SHIFT] = vector[SHIFT] = x[0];
            VECTOR.gradSums(xs, 0, dys, 0, count, vector, 0);
            SCALAR.gradSums(xs, 0, dys, 0, count, scalar, 0);
            double absDyX = 0;
            for (int i = 0; i < count; i++) {
                absDyX += Math.abs(dy[i] * ((double) x[i] - x[0]));
            }
            String what = "x around " + x[0];
            assertTrue(Double.isFinite(vector[SUM_SQ]) && vector[SUM_SQ] >= 0, what);
            assertEquals(scalar[SUM_SQ], vector[SUM_SQ], 1e-12 * scalar[SUM_SQ], what);
            assertEquals(scalar[SUM_DY_X], vector[SUM_DY_X], 1e-12 * absDyX, what);
            double[] centred = new double[FIELDS];
            centred[SHIFT] = x[0];
            VECTOR.centredSums(xs, 0, count, centred, 0);
            assertEquals(scalar[SUM_SQ], centred[SUM_SQ], 1e-12 * scalar[SUM_SQ], what);
        }
    }

    @Test
    void writeKernelsAgreeBitwiseAndMatchTheFormula() {
        Random r = new Random(2);
        Arena arena = Arena.ofAuto();
        for (int count = 0; count <= 4 * VectorPlaneKernels.lanes() + 3; count++) {
            float[] x = Problem.uniform(r, count + 2, 997, 1003);
            float[] dy = Problem.uniform(r, count + 2, -1, 1);
            MemorySegment xs = PassHarness.segment(arena, x);
            MemorySegment dys = PassHarness.segment(arena, dy);
            // means that are not floats: the float kernels must fold their rounding back in
            double mean = 1000.3000001, scale = 1.7, bias = -0.4, meanDy = 0.05000001, a = 1.3, b = -0.2;
            float[][] y = new float[2][];
            float[][] dx = new float[2][];
            float[][] dxInPlace = new float[2][];
            float[][] dxFloat = new float[2][];
            float[][] dxFloatInPlace = new float[2][];
            PlaneKernels[] kernels = {SCALAR, VECTOR};
            for (int j = 0; j < 2; j++) {
                MemorySegment ys = arena.allocate(4L * count + 4);
                kernels[j].normalize(xs, 2, ys, 1, count, mean, scale, bias);
                y[j] = PassHarness.floats(ys);
                MemorySegment dxs = arena.allocate(4L * count);
                kernels[j].gradInput(xs, 2, dys, 2, dxs, 0, count, mean, meanDy, a, b);
                dx[j] = PassHarness.floats(dxs);
                MemorySegment inPlace = PassHarness.segment(arena, dy);
                kernels[j].gradInput(xs, 0, inPlace, 0, inPlace, 0, count, mean, meanDy, a, b);
                dxInPlace[j] = PassHarness.floats(inPlace);
                MemorySegment dxf = arena.allocate(4L * count);
                kernels[j].gradInputFloat(xs, 2, dys, 2, dxf, 0, count, mean, meanDy, a, b);
                dxFloat[j] = PassHarness.floats(dxf);
                MemorySegment inPlaceF = PassHarness.segment(arena, dy);
                kernels[j].gradInputFloat(xs, 0, inPlaceF, 0, inPlaceF, 0, count, mean, meanDy, a, b);
                dxFloatInPlace[j] = PassHarness.floats(inPlaceF);
            }
            for (int i = 0; i < count; i++) {
                double yRef = (x[i + 2] - mean) * scale + bias;
                // float arithmetic centred on the float mean: a few ulps of the terms (|term| <= 5.1), never of x
                assertEquals(yRef, y[0][i + 1], 4 * Math.ulp(5.1f), "y");
                assertEquals((float) (a * (dy[i + 2] - meanDy) + b * (x[i + 2] - mean)), dx[0][i]);
                assertEquals((float) (a * (dy[i] - meanDy) + b * (x[i] - mean)), dxInPlace[0][i]);
                assertEquals(a * (dy[i + 2] - meanDy) + b * (x[i + 2] - mean), dxFloat[0][i], 4 * Math.ulp(1.4f));
                assertEquals(a * (dy[i] - meanDy) + b * (x[i] - mean), dxFloatInPlace[0][i], 4 * Math.ulp(1.4f));
            }
            assertArrayEquals(y[0], y[1], "normalize, count " + count);
            assertArrayEquals(dx[0], dx[1], "gradInput, count " + count);
            assertArrayEquals(dxInPlace[0], dxInPlace[1], "gradInput in place, count " + count);
            assertArrayEquals(dxFloat[0], dxFloat[1], "gradInputFloat, count " + count);
            assertArrayEquals(dxFloatInPlace[0], dxFloatInPlace[1], "gradInputFloat in place, count " + count);
        }
    }

    @Test
    void rowKernelsAgreeBitwiseAndMatchTheFloat64Reference() {
        RowKernels scalar = Kernels.scalarSet().rows();
        RowKernels vector = Kernels.vectorSet().orElseThrow().rows();
        Random r = new Random(3);
        Arena arena = Arena.ofAuto();
        int lanes = VectorPlaneKernels.lanes();
        for (int channels : new int[] {1, 3, lanes, 2 * lanes + 1, 13}) {
            for (int rows : new int[] {1, 5, 17}) {
                int count = rows * channels;
                float[] x = Problem.uniform(r, count + 1, 995, 1005);
                float[] dy = Problem.uniform(r, count + 1, -1, 1);
                MemorySegment xs = PassHarness.segment(arena, x);
                MemorySegment dys = PassHarness.segment(arena, dy);
                String what = channels + " channels, " + rows + " rows";
                int base = 2; // stats start past index 0 to catch base mistakes
                double[][] stats = new double[2][];
                float[][] y = new float[2][];
                float[][] dx = new float[2][];
                float[][] dxInPlace = new float[2][];
                double[] mean = new double[channels + 1];
                double[] scale = new double[channels + 1];
                double[] bias = new double[channels + 1];
                double[] b = new double[channels + 1];
                for (int c = 0; c <= channels; c++) {
                    mean[c] = 1000 + 0.1 * c;
                    scale[c] = 1 + 0.05 * c;
                    bias[c] = -0.3 * c;
                    b[c] = 0.2 - 0.01 * c;
                }
                RowKernels[] kernels = {scalar, vector};
                for (int j = 0; j < 2; j++) {
                    double[] st = new double[base + StatsLayout.FIELDS * channels];
                    kernels[j].means(xs, 1, rows, channels, st, base);
                    kernels[j].centredSums(xs, 1, rows, channels, st, base);
                    double[] grad = st.clone();
                    kernels[j].gradSums(xs, 1, dys, 1, rows, channels, grad, base);
                    stats[j] = concat(st, grad);
                    MemorySegment ys = arena.allocate(4L * count);
                    kernels[j].normalize(xs, 1, ys, 0, rows, channels, mean, scale, bias, 1);
                    y[j] = PassHarness.floats(ys);
                    MemorySegment dxs = arena.allocate(4L * count);
                    kernels[j].gradInput(xs, 1, dys, 1, dxs, 0, rows, channels, mean, bias, scale, b, 1);
                    dx[j] = PassHarness.floats(dxs);
                    MemorySegment inPlace = PassHarness.segment(arena, dy);
                    kernels[j].gradInput(xs, 1, inPlace, 1, inPlace, 1, rows, channels, mean, bias, scale, b, 1);
                    dxInPlace[j] = PassHarness.floats(inPlace);
                }
                assertArrayEquals(stats[0], stats[1], "row sums, " + what);
                assertArrayEquals(y[0], y[1], "row normalize, " + what);
                assertArrayEquals(dx[0], dx[1], "row gradInput, " + what);
                assertArrayEquals(dxInPlace[0], dxInPlace[1], "row gradInput in place, " + what);
                for (int c = 0; c < channels; c++) {
                    double sum = 0;
                    for (int row = 0; row < rows; row++) {
                        sum += x[1 + row * channels + c];
                    }
                    double m = sum / rows;
                    double sq = 0, sumDy = 0, sumDyX = 0;
                    for (int row = 0; row < rows; row++) {
                        int i = 1 + row * channels + c;
                        sq += (x[i] - m) * (x[i] - m);
                        sumDy += dy[i];
                        sumDyX += dy[i] * (x[i] - m);
                    }
                    double[] st = stats[0];
                    int grad = base + StatsLayout.FIELDS * channels;
                    assertEquals(m, st[base + SHIFT * channels + c], 1e-12 * m, what);
                    assertEquals(sq, st[base + SUM_SQ * channels + c], 1e-9 * Math.max(sq, 1e-6), what);
                    assertEquals(sumDy, st[grad + base + SUM_DY * channels + c], 1e-12 * rows, what);
                    assertEquals(sumDyX, st[grad + base + SUM_DY_X * channels + c], 1e-9 * Math.max(1, sq), what);
                    for (int row = 0; row < rows; row++) {
                        int i = 1 + row * channels + c;
                        assertEquals((float) ((x[i] - mean[1 + c]) * scale[1 + c] + bias[1 + c]), y[0][i - 1], what);
                        assertEquals((float) (scale[1 + c] * (dy[i] - bias[1 + c]) + b[1 + c] * (x[i] - mean[1 + c])),
                                dx[0][i - 1], what);
                    }
                }
            }
        }
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
