package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.DirectOps;
import dev.ingot.ops.grad.RowNormReference;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * GroupNorm, LayerNorm, RMSNorm and BatchNorm (forward and gradient) against float64 references on hard inputs:
 * normwise error at most 1e-5, and bitwise the same outputs on one and two threads.
 */
class RowNormAccuracyTest {
    private static final double TOLERANCE = 1e-5;
    private static CpuBackend one;
    private static CpuBackend two;

    @BeforeAll
    static void open() {
        one = CpuBackend.builder().threads(1).build();
        two = CpuBackend.builder().threads(2).build();
    }

    @AfterAll
    static void close() {
        one.close();
        two.close();
    }

    /** One op configuration: its forward type, shape, layout and attributes. */
    record Case(String op, long[] dims, Layout layout, Object[] attributes, boolean gamma, boolean beta) {
        Attributes forward() {
            List<Object> a = new ArrayList<>(Arrays.asList(attributes));
            a.addAll(List.of(InstanceNorm.GAMMA, gamma));
            if (!op.equals(RmsNorm.OP_TYPE)) {
                a.addAll(List.of(InstanceNorm.BETA, beta));
            }
            return Attributes.of(a.toArray());
        }

        Attributes grad(boolean inPlace) {
            List<Object> a = Arrays.asList(attributes);
            List<Object> kept = new ArrayList<>();
            for (int i = 0; i < a.size(); i += 2) {
                if (!a.get(i).equals(BatchNorm.MOMENTUM) && !a.get(i).equals(BatchNorm.RUNNING_STATS)) {
                    kept.add(a.get(i));
                    kept.add(a.get(i + 1));
                }
            }
            kept.addAll(List.of(InstanceNorm.GAMMA, gamma, InstanceNorm.IN_PLACE, inPlace));
            if (!op.equals(RmsNorm.OP_TYPE)) {
                kept.addAll(List.of(InstanceNorm.BETA, beta));
            }
            return Attributes.of(kept.toArray());
        }

        String gradOp() {
            return switch (op) {
                case GroupNorm.OP_TYPE -> GroupNorm.GRAD_OP_TYPE;
                case LayerNorm.OP_TYPE -> LayerNorm.GRAD_OP_TYPE;
                case RmsNorm.OP_TYPE -> RmsNorm.GRAD_OP_TYPE;
                default -> BatchNorm.GRAD_OP_TYPE;
            };
        }

        long[] paramDims() {
            if (op.equals(GroupNorm.OP_TYPE) || op.equals(BatchNorm.OP_TYPE)) {
                return new long[] {dims[1]};
            }
            long axis = Attributes.of(attributes).getLong(LayerNorm.AXIS, -1);
            return Arrays.copyOfRange(dims, (int) (axis < 0 ? axis + dims.length : axis), dims.length);
        }

        long params() {
            if (op.equals(GroupNorm.OP_TYPE) || op.equals(BatchNorm.OP_TYPE)) {
                return dims[1];
            }
            long axis = Attributes.of(attributes).getLong(LayerNorm.AXIS, -1);
            int a = (int) (axis < 0 ? axis + dims.length : axis);
            long p = 1;
            for (int i = a; i < dims.length; i++) {
                p *= dims[i];
            }
            return p;
        }

        @Override
        public String toString() {
            return op + Arrays.toString(dims) + " " + layout + " " + Arrays.toString(attributes);
        }
    }

    private static List<Case> cases(double eps) {
        List<Case> c = new ArrayList<>();
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.CHANNELS_LAST}) {
            for (int groups : new int[] {1, 2, 3, 6}) {
                c.add(new Case(GroupNorm.OP_TYPE, new long[] {2, 6, 5, 7}, layout,
                        new Object[] {GroupNorm.GROUPS, groups, InstanceNorm.EPS, eps}, true, true));
            }
            c.add(new Case(BatchNorm.OP_TYPE, new long[] {3, 4, 5, 3}, layout,
                    new Object[] {InstanceNorm.EPS, eps}, true, true));
        }
        c.add(new Case(GroupNorm.OP_TYPE, new long[] {2, 4, 9}, Layout.NCHW,
                new Object[] {GroupNorm.GROUPS, 2, InstanceNorm.EPS, eps}, false, false));
        c.add(new Case(LayerNorm.OP_TYPE, new long[] {3, 4, 10}, Layout.NCHW,
                new Object[] {LayerNorm.AXIS, -1, InstanceNorm.EPS, eps}, true, true));
        c.add(new Case(LayerNorm.OP_TYPE, new long[] {3, 4, 10}, Layout.NCHW,
                new Object[] {LayerNorm.AXIS, 1, InstanceNorm.EPS, eps}, true, false));
        c.add(new Case(LayerNorm.OP_TYPE, new long[] {40}, Layout.NCHW,
                new Object[] {LayerNorm.AXIS, 0, InstanceNorm.EPS, eps}, false, true));
        c.add(new Case(RmsNorm.OP_TYPE, new long[] {3, 4, 10}, Layout.NCHW,
                new Object[] {LayerNorm.AXIS, -1, InstanceNorm.EPS, eps}, true, false));
        c.add(new Case(RmsNorm.OP_TYPE, new long[] {5, 8}, Layout.NCHW,
                new Object[] {LayerNorm.AXIS, 0, InstanceNorm.EPS, eps}, false, false));
        c.add(new Case(BatchNorm.OP_TYPE, new long[] {4, 3, 6}, Layout.NCHW,
                new Object[] {InstanceNorm.EPS, eps}, false, false));
        // channels-last LayerNorm / RMSNorm over [C, H, W] or everything: rows in memory order, gamma permuted
        c.add(new Case(LayerNorm.OP_TYPE, new long[] {2, 3, 4, 6}, Layout.CHANNELS_LAST,
                new Object[] {LayerNorm.AXIS, 1, InstanceNorm.EPS, eps}, true, true));
        c.add(new Case(LayerNorm.OP_TYPE, new long[] {2, 5, 4, 4}, Layout.CHANNELS_LAST,
                new Object[] {LayerNorm.AXIS, 0, InstanceNorm.EPS, eps}, true, false));
        c.add(new Case(RmsNorm.OP_TYPE, new long[] {3, 4, 5}, Layout.CHANNELS_LAST,
                new Object[] {LayerNorm.AXIS, 1, InstanceNorm.EPS, eps}, true, false));
        // planes of 7x7: walked slab by slab, in memory order
        c.add(new Case(BatchNorm.OP_TYPE, new long[] {6, 5, 7, 7}, Layout.NCHW,
                new Object[] {InstanceNorm.EPS, eps}, true, true));
        // LayerNorm rows long enough for several float blocks
        c.add(new Case(LayerNorm.OP_TYPE, new long[] {3, 700}, Layout.NCHW,
                new Object[] {LayerNorm.AXIS, -1, InstanceNorm.EPS, eps}, true, true));
        return c;
    }

    private static float[] values(SplittableRandom r, long count, DoubleUnaryOperator f) {
        float[] v = new float[Math.toIntExact(count)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) f.applyAsDouble(r.nextDouble(-1, 1));
        }
        return v;
    }

    private static long count(long[] dims) {
        return Arrays.stream(dims).reduce(1, (a, b) -> a * b);
    }

    /** The op's outputs on both backends, checked bitwise equal; returns those of the one-thread run. */
    private static List<float[]> runBoth(Case k, String op, Attributes a, List<float[]> data, List<long[]> shapes,
                                         List<Layout> layouts) {
        List<float[]> first = null;
        for (CpuBackend backend : new CpuBackend[] {one, two}) {
            List<Tensor> in = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                in.add(Tensor.copyOf(data.get(i), Shape.of(shapes.get(i)), layouts.get(i)));
            }
            List<Tensor> out = DirectOps.run(backend, op, a, in);
            List<float[]> values = new ArrayList<>();
            for (Tensor t : out) {
                values.add(t.toFloatArray());
                t.close();
            }
            in.forEach(Tensor::close);
            if (first == null) {
                first = values;
            } else {
                for (int i = 0; i < values.size(); i++) {
                    assertArrayEquals(first.get(i), values.get(i), k + ": output " + i + " differs by thread count");
                }
            }
        }
        return first;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(String what, double[] expected, float[] actual) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        double err = norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
        assertTrue(err <= TOLERANCE, what + ": normwise error " + err);
    }

    /** Forward and gradient of every case on inputs drawn by {@code xOf} and {@code dyOf}. */
    private static void check(String label, double eps, DoubleUnaryOperator xOf, DoubleUnaryOperator dyOf,
                              long seed) {
        check(label, cases(eps), eps, xOf, dyOf, seed);
    }

    private static void check(String label, List<Case> cases, double eps, DoubleUnaryOperator xOf,
                              DoubleUnaryOperator dyOf, long seed) {
        for (Case k : cases) {
            SplittableRandom r = new SplittableRandom(seed);
            long n = count(k.dims());
            long p = k.params();
            float[] x = values(r, n, xOf);
            float[] dy = values(r, n, dyOf);
            float[] gamma = values(r, p, u -> 1 + 0.5 * u);
            float[] beta = values(r, p, u -> u);
            List<float[]> fin = new ArrayList<>(List.of(x));
            List<long[]> shapes = new ArrayList<>(List.of(k.dims()));
            List<Layout> layouts = new ArrayList<>(List.of(k.layout()));
            if (k.gamma()) {
                fin.add(gamma);
                shapes.add(k.paramDims());
                layouts.add(Layout.NCHW);
            }
            if (k.beta()) {
                fin.add(beta);
                shapes.add(k.paramDims());
                layouts.add(Layout.NCHW);
            }
            List<float[]> out = runBoth(k, k.op(), k.forward(), fin, shapes, layouts);
            TensorType xt = new TensorType(Shape.of(k.dims()), dev.ingot.runtime.DType.FLOAT32, Layout.NCHW);
            List<TensorType> types = new ArrayList<>(List.of(xt));
            List<double[]> refIn = new ArrayList<>(List.of(widen(x)));
            if (k.gamma()) {
                types.add(TensorType.float32(k.paramDims()));
                refIn.add(widen(gamma));
            }
            if (k.beta()) {
                types.add(TensorType.float32(k.paramDims()));
                refIn.add(widen(beta));
            }
            List<double[]> ref = new RowNormReference(k.op()).evaluate(k.forward(), types, refIn, null);
            for (int i = 0; i < ref.size(); i++) {
                assertClose(label + " " + k + " forward output " + i, ref.get(i), out.get(i));
            }
            // gradient, from the saved statistics
            List<float[]> gin = new ArrayList<>(List.of(x, dy));
            List<long[]> gshapes = new ArrayList<>(List.of(k.dims(), k.dims()));
            List<Layout> glayouts = new ArrayList<>(List.of(k.layout(), k.layout()));
            boolean rms = k.op().equals(RmsNorm.OP_TYPE);
            for (int i = 1; i < out.size(); i++) {
                gin.add(out.get(i));
                gshapes.add(statsDims(k, out.get(i).length));
                glayouts.add(Layout.NCHW);
            }
            if (k.gamma()) {
                gin.add(gamma);
                gshapes.add(k.paramDims());
                glayouts.add(Layout.NCHW);
            }
            List<float[]> grads = runBoth(k, k.gradOp(), k.grad(false), gin, gshapes, glayouts);
            double[][] expected = ReferenceGrad.of(k, x, dy, k.gamma() ? gamma : null, eps, rms);
            assertClose(label + " " + k + " dx", expected[0], grads.get(0));
            int next = 1;
            if (k.gamma()) {
                assertClose(label + " " + k + " dgamma", expected[1], grads.get(next++));
            }
            if (k.beta()) {
                assertClose(label + " " + k + " dbeta", expected[2], grads.get(next));
            }
        }
    }

    private static long[] statsDims(Case k, int length) {
        if (k.op().equals(GroupNorm.OP_TYPE)) {
            return new long[] {k.dims()[0], length / k.dims()[0]};
        }
        if (k.op().equals(BatchNorm.OP_TYPE)) {
            return new long[] {length};
        }
        long axis = Attributes.of(k.attributes()).getLong(LayerNorm.AXIS, -1);
        int a = (int) (axis < 0 ? axis + k.dims().length : axis);
        return a == 0 ? new long[] {1} : Arrays.copyOfRange(k.dims(), 0, a);
    }

    @Test
    void ordinaryInputs() {
        check("ordinary", 1e-5, u -> u, u -> u, 1);
    }

    @Test
    void meanFarAboveTheSpread() {
        check("mean 1e4 std 1e-3", 1e-12, u -> 1e4 + 1e-3 * u, u -> u, 2);
    }

    @Test
    void constantGroupsWithATinyEps() {
        check("constant", 1e-10, u -> 3.25, u -> u, 3);
    }

    @Test
    void valuesNearTheFloatLimit() {
        check("near 1e30", 1e-5, u -> 1e30 * (1 + 0.25 * u), u -> u, 4);
    }

    @Test
    void dyWithALargeCommonComponent() {
        check("dy 1e4 + u", 1e-5, u -> u, u -> 1e4 + u, 5);
        // G = C runs InstanceNorm's kernels: planes long enough for their float-lane block sums, in both layouts
        double eps = 1e-5;
        List<Case> perChannel = new ArrayList<>();
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.CHANNELS_LAST}) {
            perChannel.add(new Case(GroupNorm.OP_TYPE, new long[] {2, 5, 40, 41}, layout,
                    new Object[] {GroupNorm.GROUPS, 5, InstanceNorm.EPS, eps}, true, true));
        }
        check("dy 1e4 + u, G = C", perChannel, eps, u -> u, u -> 1e4 + u, 5);
    }

    @Test
    void groupsOfOneAndTwoElements() {
        double eps = 1e-5;
        Object[] e = {InstanceNorm.EPS, eps};
        List<Case> tiny = List.of(
                new Case(GroupNorm.OP_TYPE, new long[] {3, 4}, Layout.NCHW,
                        new Object[] {GroupNorm.GROUPS, 4, InstanceNorm.EPS, eps}, true, true),
                new Case(GroupNorm.OP_TYPE, new long[] {3, 4}, Layout.CHANNELS_LAST,
                        new Object[] {GroupNorm.GROUPS, 2, InstanceNorm.EPS, eps}, true, true),
                new Case(LayerNorm.OP_TYPE, new long[] {5, 1}, Layout.NCHW, new Object[] {LayerNorm.AXIS, -1,
                        InstanceNorm.EPS, eps}, true, true),
                new Case(LayerNorm.OP_TYPE, new long[] {5, 2}, Layout.NCHW, new Object[] {LayerNorm.AXIS, -1,
                        InstanceNorm.EPS, eps}, true, true),
                new Case(RmsNorm.OP_TYPE, new long[] {4, 1}, Layout.NCHW, new Object[] {LayerNorm.AXIS, 1,
                        InstanceNorm.EPS, eps}, true, false),
                new Case(BatchNorm.OP_TYPE, new long[] {2, 3}, Layout.NCHW, e, true, true),
                new Case(BatchNorm.OP_TYPE, new long[] {1, 3, 1, 1}, Layout.CHANNELS_LAST, e, false, true));
        check("tiny groups", tiny, eps, u -> 5 + u, u -> u, 6);
    }

    @Test
    void groupsOfAMillionElements() {
        double eps = 1e-5;
        List<Case> huge = List.of(
                new Case(GroupNorm.OP_TYPE, new long[] {1, 4, 500, 500}, Layout.NCHW,
                        new Object[] {GroupNorm.GROUPS, 1, InstanceNorm.EPS, eps}, true, true),
                new Case(LayerNorm.OP_TYPE, new long[] {1, 1_000_000}, Layout.NCHW,
                        new Object[] {LayerNorm.AXIS, -1, InstanceNorm.EPS, eps}, false, true),
                new Case(BatchNorm.OP_TYPE, new long[] {4, 1, 500, 500}, Layout.CHANNELS_LAST,
                        new Object[] {InstanceNorm.EPS, eps}, true, false));
        check("1e6 elements", huge, eps, u -> 1e3 + 0.1 * u, u -> u, 7);
    }

    @Test
    void rowsWhoseFirstElementsAreFarFromTheirMeanAreSummedAgain() {
        // the first 64 elements of each row sit 1000 above the rest: the probe's mean is far off the row's
        long[] dims = {2, 4000};
        float[] x = new float[8000];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((i % 4000 < 64 ? 1000 : 0) + r.nextDouble(-1, 1));
        }
        Case k = new Case(LayerNorm.OP_TYPE, dims, Layout.NCHW, new Object[] {LayerNorm.AXIS, -1,
                InstanceNorm.EPS, 1e-5}, false, false);
        List<float[]> out = runBoth(k, k.op(), k.forward(), List.of(x), List.of(dims), List.of(Layout.NCHW));
        List<double[]> ref = new RowNormReference(k.op()).evaluate(k.forward(),
                List.of(TensorType.float32(dims)), List.of(widen(x)), null);
        for (int i = 0; i < ref.size(); i++) {
            assertClose("far probe, output " + i, ref.get(i), out.get(i));
        }
    }
}
