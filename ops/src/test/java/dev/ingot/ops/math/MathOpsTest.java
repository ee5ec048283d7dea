package dev.ingot.ops.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.Program;
import dev.ingot.runtime.express.ReferenceEvaluator;
import dev.ingot.runtime.express.SgdMomentum;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.junit.jupiter.api.Test;

/** The math ops through a compiled program: hand-computed values, the float64 reference, determinism, errors. */
class MathOpsTest {
    private static final CpuBackend BACKEND = CpuBackend.builder().threads(2).build();

    @AfterContainer
    static void close() {
        BACKEND.close();
    }

    private static float[] run(Expr output) {
        try (Program p = Program.builder(BACKEND).output(output).build()) {
            p.run();
            return p.tensor(output).toFloatArray();
        }
    }

    private static Expr leaf(Graph g, float[] values, long... dims) {
        return g.constant("c", TensorType.float32(dims), values);
    }

    @Test
    void handComputedValues() {
        Graph g = new Graph(BACKEND);
        Expr a = leaf(g, new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Expr b = leaf(g, new float[]{6, 5, 4, 3, 2, 1}, 2, 3);
        assertArrayEquals(new float[]{7, 7, 7, 7, 7, 7}, run(MathOps.add(a, b)));
        assertArrayEquals(new float[]{-5, -3, -1, 1, 3, 5}, run(MathOps.sub(a, b)));
        assertArrayEquals(new float[]{6, 10, 12, 12, 10, 6}, run(MathOps.mul(a, b)));
        assertArrayEquals(new float[]{1, 4, 9, 16, 25, 36}, run(MathOps.square(a)));
        assertArrayEquals(new float[]{-2, -4, -6, -8, -10, -12}, run(MathOps.mulScalar(a, -2)));
        assertArrayEquals(new float[]{21}, run(MathOps.sum(a)));
        assertArrayEquals(new float[]{3.5f}, run(MathOps.mean(a)));
        assertArrayEquals(new float[]{5, 7, 9}, run(MathOps.sum(a, 0)));
        assertArrayEquals(new float[]{2, 5}, run(MathOps.mean(a, -1)));
        Expr column = leaf(g, new float[]{10, 20}, 2, 1);
        assertArrayEquals(new float[]{10, 10, 10, 20, 20, 20}, run(MathOps.broadcastTo(column, a)));
        assertArrayEquals(new float[]{3, 3, 3, 3, 3, 3}, run(MathOps.broadcastTo(g.scalar(3), a)));
        // ((1-6)^2 + (2-5)^2 + (3-4)^2) * 2 / 6 = 70 / 6
        assertArrayEquals(new float[]{70f / 6}, run(MathOps.mseLoss(a, b)), 1e-6f);
        // 2 * (a - b) / 6 * 3
        assertArrayEquals(new float[]{-5, -3, -1, 1, 3, 5}, run(MathOps.mseLossGrad(a, b, g.scalar(3))), 1e-6f);
    }

    @Test
    void sgdMomentumUpdatesParameterAndVelocityInPlace() {
        Graph g = new Graph(BACKEND);
        Expr p = g.parameter("p", TensorType.float32(2), new float[]{1, -1});
        Expr v = g.state("v", TensorType.float32(2), new float[]{0.5f, 0});
        Expr grad = g.constant("g", TensorType.float32(2), new float[]{2, 4});
        Expr loss = MathOps.sum(p); // something to compute; the update is what is checked
        SgdMomentum sgd = new SgdMomentum(0.1, 0.9);
        try (Program program = Program.builder(BACKEND).output(loss)
                .update(SgdMomentum.OP_TYPE, sgd.attributes(), List.of(p, v, grad), List.of(p, v)).build()) {
            program.run();
            // v = 0.9 v + g; p = p - 0.1 v
            assertArrayEquals(new float[]{2.45f, 4}, program.tensor(v).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[]{1 - 0.245f, -1.4f}, program.tensor(p).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[]{0}, program.tensor(loss).toFloatArray()); // read before the update
            program.run();
            assertArrayEquals(new float[]{0.9f * 2.45f + 2, 0.9f * 4 + 4}, program.tensor(v).toFloatArray(), 1e-5f);
        }
        assertThrows(IllegalArgumentException.class, () -> new SgdMomentum(0, 0.9));
        assertThrows(IllegalArgumentException.class, () -> new SgdMomentum(0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> g.op(SgdMomentum.OP_TYPE,
                Attributes.of(SgdMomentum.LEARNING_RATE, -1.0), p, v, grad));
    }

    @Provide
    Arbitrary<String> forwardOps() {
        return Arbitraries.of(MathOps.ADD, MathOps.SUB, MathOps.MUL, MathOps.SQUARE, MathOps.MUL_SCALAR,
                MathOps.SUM, MathOps.MEAN, MathOps.BROADCAST_TO, MathOps.MSE_LOSS);
    }

    @Property(tries = 100)
    void float32OpsAgreeWithTheFloat64Reference(@ForAll("forwardOps") String op, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Graph g = new Graph(BACKEND);
        long[] dims = new long[random.nextInt(1, 5)];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = random.nextInt(1, 7);
        }
        TensorType t = TensorType.float32(dims);
        Expr a = g.constant("a", t, values(random, t.elementCount()));
        Expr b = g.constant("b", t, values(random, t.elementCount()));
        int axis = random.nextInt(-dims.length, dims.length);
        Expr out = switch (op) {
            case MathOps.SQUARE -> MathOps.square(a);
            case MathOps.MUL_SCALAR -> MathOps.mulScalar(a, random.nextDouble(-4, 4));
            case MathOps.SUM, MathOps.MEAN -> random.nextBoolean() ? g.op(op, null, a)
                    : g.op(op, Attributes.of(MathOps.AXIS, axis), a);
            case MathOps.BROADCAST_TO -> MathOps.broadcastTo(MathOps.sum(a, axis), b);
            default -> g.op(op, null, a, b);
        };
        float[] got = run(out);
        double[] want = ReferenceEvaluator.standard().evaluate(out, Map.of());
        assertEquals(want.length, got.length);
        for (int i = 0; i < got.length; i++) {
            // float32 inputs are exact in both; one float32 rounding of the result (sums accumulate in double)
            double tolerance = 2e-7 * Math.max(1, Math.abs(want[i])) * Math.max(1, t.elementCount() / 64.0);
            assertEquals(want[i], got[i], tolerance, op + " " + out + " at " + i);
        }
    }

    @Test
    void largeSumsAreBitwiseTheSameForAnyThreadCount() {
        float[] data = values(new SplittableRandom(3), 300_000);
        float[] reference = null;
        for (int threads : new int[]{1, 2, 3}) {
            try (CpuBackend backend = CpuBackend.builder().threads(threads).build()) {
                Graph g = new Graph(backend);
                Expr x = g.constant("x", TensorType.float32(3, 100_000), data);
                Expr y = g.constant("y", TensorType.float32(3, 100_000), new float[300_000]);
                Expr sum = MathOps.add(MathOps.sum(x), MathOps.mseLoss(x, y));
                try (Program p = Program.builder(backend).output(sum).build()) {
                    p.run();
                    float[] got = p.tensor(sum).toFloatArray();
                    if (reference == null) {
                        reference = got;
                    } else {
                        assertEquals(Float.floatToIntBits(reference[0]), Float.floatToIntBits(got[0]));
                    }
                }
            }
        }
        double exact = 0;
        double squares = 0;
        for (float v : data) {
            exact += v;
            squares += (double) v * v;
        }
        assertEquals(exact + squares / data.length, reference[0], 1e-6 * (Math.abs(exact) + squares));
    }

    @Test
    void badInputsAreRefusedWithOneLineMessages() {
        Graph g = new Graph(BACKEND);
        Expr a = g.input("a", TensorType.float32(4));
        Expr b = g.input("b", TensorType.float32(2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MathOps.mseLoss(a, b));
        assertTrue(e.getMessage().contains("MseLoss: input target: expected type [4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MathOps.mseLossGrad(a, a, a));
        assertTrue(e.getMessage().contains("dloss") && e.getMessage().contains("[1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> g.op(MathOps.SQUARE, null, a, a));
        assertTrue(e.getMessage().contains("Square: inputs: expected 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> g.op(SgdMomentum.OP_TYPE,
                new SgdMomentum(0.1, 0.5).attributes(), a, a, g.input("g", TensorType.float32(5))));
        assertTrue(e.getMessage().contains("input g") && e.getMessage().contains("[5]"), e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
    }

    private static float[] values(SplittableRandom random, long count) {
        float[] v = new float[Math.toIntExact(count)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextDouble(-2, 2);
        }
        return v;
    }
}
