package dev.ingot.ops.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.Graph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Building expressions: inferred types, multi-output nodes, and shape errors reported at build time. */
class ExprTest {
    private static final CpuBackend BACKEND = CpuBackend.builder().threads(1).build();

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    @Test
    void opsInferTheirOutputTypesFromTheirExecutions() {
        Graph g = new Graph(BACKEND);
        Expr x = g.input("x", TensorType.float32(2, 3, 4, 5));
        Expr gamma = g.parameter("gamma", TensorType.float32(3), new float[]{1, 1, 1});
        Expr y = InstanceNormExpr.of(x, gamma, null, 1e-5);
        assertEquals(Shape.of(2, 3, 4, 5), y.shape());
        assertEquals("InstanceNorm", y.opType());
        assertEquals(3, y.outputCount());
        assertEquals(Shape.of(2, 3), y.output(1).shape()); // mean
        assertEquals(Shape.of(2, 3), y.output(2).shape()); // invstd
        assertSame(y, y.output(0));
        assertEquals(2, y.output(2).outputIndex());
        assertEquals(java.util.List.of(x, gamma), y.inputs());

        assertEquals(Shape.of(1), MathOps.sum(y).shape());
        assertEquals(Shape.of(2, 1, 4, 5), MathOps.mean(y, 1).shape());
        assertEquals(Shape.of(2, 3, 4, 1), MathOps.sum(y, -1).shape());
        assertEquals(Shape.of(1), MathOps.mseLoss(y, x).shape());
        assertThrows(IllegalArgumentException.class, () -> y.output(3));
    }

    @Test
    void shapeErrorsNameTheOpAndTheShapesWhenBuilt() {
        Graph g = new Graph(BACKEND);
        Expr a = g.input("a", TensorType.float32(2, 3));
        Expr b = g.input("b", TensorType.float32(3, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MathOps.add(a, b));
        assertTrue(e.getMessage().contains("Add") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[3, 2]"), e.getMessage());

        Expr x = g.input("x", TensorType.float32(2, 3, 8));
        Expr gamma = g.parameter("gamma", TensorType.float32(4), new float[4]);
        e = assertThrows(IllegalArgumentException.class, () -> InstanceNormExpr.of(x, gamma, null, 1e-5));
        assertTrue(e.getMessage().contains("InstanceNorm") && e.getMessage().contains("[4]")
                && e.getMessage().contains("[2, 3, 8]"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> MathOps.sum(x, 3));
        assertTrue(e.getMessage().contains("Sum") && e.getMessage().contains("axis"), e.getMessage());

        Expr small = g.input("small", TensorType.float32(2, 2, 8));
        e = assertThrows(IllegalArgumentException.class, () -> MathOps.broadcastTo(small, x));
        assertTrue(e.getMessage().contains("BroadcastTo") && e.getMessage().contains("[2, 2, 8]"), e.getMessage());

        Expr nhwc = g.input("nhwc", new TensorType(Shape.of(2, 3, 8), DType.FLOAT32, Layout.CHANNELS_LAST));
        e = assertThrows(IllegalArgumentException.class, () -> MathOps.mul(x, nhwc));
        assertTrue(e.getMessage().contains("CHANNELS_LAST"), e.getMessage());
    }

    @Test
    void badLeavesAndForeignInputsAreRefused() {
        Graph g = new Graph(BACKEND);
        Graph other = new Graph(BACKEND);
        Expr a = g.input("a", TensorType.float32(2));
        Expr b = other.input("b", TensorType.float32(2));
        assertThrows(IllegalArgumentException.class, () -> MathOps.add(a, b));
        assertThrows(IllegalArgumentException.class,
                () -> g.parameter("p", TensorType.float32(3), new float[2]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.op("NoSuchOp", null, a));
        assertTrue(e.getMessage().contains("NoSuchOp"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> g.op(MathOps.MUL_SCALAR, dev.ingot.runtime.Attributes.empty(), a)); // factor missing
        assertThrows(IllegalArgumentException.class,
                () -> g.op(MathOps.ADD, dev.ingot.runtime.Attributes.of("alpha", 2.0), a, a)); // unknown attribute
    }

    @Test
    void leavesKeepTheirKindNameAndValues() {
        Graph g = new Graph(BACKEND);
        float[] init = {1, 2, 3};
        Expr p = g.parameter("w", TensorType.float32(3), init);
        init[0] = 99; // copied in
        assertEquals(Expr.Kind.PARAMETER, p.kind());
        assertEquals("w", p.name());
        assertEquals(1f, p.initialValues()[0]);
        assertEquals(Expr.Kind.STATE, g.state("v", TensorType.float32(3), null).kind());
        assertEquals(0f, g.state("v", TensorType.float32(3), null).initialValues()[2]);
        assertEquals(Expr.Kind.CONSTANT, g.scalar(2).kind());
        assertTrue(p.isLeaf());
        assertEquals(null, g.input("x", TensorType.float32(3)).initialValues());
    }
}
