package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.Arena;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad arguments are refused with an IllegalArgumentException naming the op, the argument, what was expected and what came. */
class InstanceNormValidationTest {
    private static final TensorType X = TensorType.float32(2, 3, 4, 5);
    private static final TensorType C = TensorType.float32(3);
    private static final TensorType NC = TensorType.float32(2, 3);
    private static CpuBackend backend;

    @BeforeAll
    static void open() {
        backend = CpuBackend.builder().threads(1).build();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static Execution forward(Object... attributes) {
        return OpRegistry.standard().create(InstanceNorm.OP_TYPE, Attributes.of(attributes), backend);
    }

    private static Execution grad(Object... attributes) {
        return OpRegistry.standard().create(InstanceNorm.GRAD_OP_TYPE, Attributes.of(attributes), backend);
    }

    private static void assertRefused(String op, String argument, String gotFragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        String m = e.getMessage();
        assertTrue(m.startsWith(op + ": " + argument + ": expected "), "message names op and argument: " + m);
        assertTrue(m.contains(", got ") && m.contains(gotFragment), "message says what came: " + m);
        assertTrue(!m.contains("\n"), "one line: " + m);
    }

    @Test
    void rankOutside3To5() {
        assertRefused("InstanceNorm", "input x", "rank 2 [2, 3]",
                () -> forward().outputTypes(List.of(TensorType.float32(2, 3))));
        assertRefused("InstanceNorm", "input x", "rank 6",
                () -> forward().outputTypes(List.of(TensorType.float32(1, 2, 2, 2, 2, 2))));
        assertRefused("InstanceNormGrad", "input x", "rank 2",
                () -> grad("savedStats", false).outputTypes(List.of(NC, NC)));
    }

    @Test
    void zeroSizeDimension() {
        assertRefused("InstanceNorm", "input x", "[2, 0, 4]",
                () -> forward().outputTypes(List.of(TensorType.float32(2, 0, 4))));
        assertRefused("InstanceNorm", "input x", "[0, 3, 4]",
                () -> forward().outputTypes(List.of(TensorType.float32(0, 3, 4))));
    }

    @Test
    void wrongDtypeOrLayoutOfX() {
        assertRefused("InstanceNorm", "input x", "float64",
                () -> forward().outputTypes(List.of(new TensorType(X.shape(), DType.FLOAT64, Layout.NCHW))));
        assertRefused("InstanceNorm", "input x", "NC4HW4",
                () -> forward().outputTypes(List.of(new TensorType(X.shape(), DType.FLOAT32, Layout.NC4HW4))));
    }

    @Test
    void dyOfAnotherShapeOrLayout() {
        assertRefused("InstanceNormGrad", "input dy", "[2, 3, 5, 4]",
                () -> grad().outputTypes(List.of(X, TensorType.float32(2, 3, 5, 4), NC, NC)));
        TensorType channelsLast = new TensorType(X.shape(), DType.FLOAT32, Layout.CHANNELS_LAST);
        assertRefused("InstanceNormGrad", "input dy", "CHANNELS_LAST",
                () -> grad().outputTypes(List.of(X, channelsLast, NC, NC)));
        assertRefused("InstanceNormGrad", "input dy", "NCHW",
                () -> grad().outputTypes(List.of(channelsLast, X, NC, NC)));
    }

    @Test
    void gammaOrBetaNotOfLengthC() {
        assertRefused("InstanceNorm", "input gamma", "[4]",
                () -> forward("gamma", true).outputTypes(List.of(X, TensorType.float32(4))));
        assertRefused("InstanceNorm", "input beta", "[2]",
                () -> forward("gamma", true, "beta", true).outputTypes(List.of(X, C, TensorType.float32(2))));
        assertRefused("InstanceNorm", "input beta", "[3, 1]",
                () -> forward("beta", true).outputTypes(List.of(X, TensorType.float32(3, 1))));
        assertRefused("InstanceNormGrad", "input gamma", "[5]",
                () -> grad("gamma", true).outputTypes(List.of(X, X, NC, NC, TensorType.float32(5))));
    }

    @Test
    void savedStatisticsNotNByC() {
        assertRefused("InstanceNormGrad", "input mean", "[3, 2]",
                () -> grad().outputTypes(List.of(X, X, TensorType.float32(3, 2), NC)));
        assertRefused("InstanceNormGrad", "input invstd", "[6]",
                () -> grad().outputTypes(List.of(X, X, NC, TensorType.float32(6))));
    }

    @Test
    void epsNotFiniteAndPositive() {
        for (double eps : new double[] {0, -1e-5, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertRefused("InstanceNorm", "attribute eps", String.valueOf(eps), () -> forward("eps", eps));
            assertRefused("InstanceNormGrad", "attribute eps", String.valueOf(eps), () -> grad("eps", eps));
        }
    }

    @Test
    void unknownAttributeAndWrongInputCount() {
        assertRefused("InstanceNorm", "attribute 'epsilon'", "unknown name", () -> forward("epsilon", 1e-3));
        assertRefused("InstanceNorm", "inputs", "got 1", () -> forward("gamma", true).outputTypes(List.of(X)));
        assertRefused("InstanceNormGrad", "inputs", "got 2", () -> grad().outputTypes(List.of(X, X)));
    }

    @Test
    void outputsOfTheWrongTypeAreRefusedWhenPlanning() {
        try (Tensor x = Tensor.allocate(X); Tensor y = Tensor.allocate(X); Tensor mean = Tensor.allocate(NC);
             Tensor wrong = Tensor.allocate(TensorType.float32(3, 2))) {
            assertRefused("InstanceNorm", "output invstd", "[3, 2]",
                    () -> forward().onResize(List.of(x), List.of(y, mean, wrong)));
            assertRefused("InstanceNorm", "outputs", "got 2", () -> forward().onResize(List.of(x), List.of(y, mean)));
        }
    }

    @Test
    void readOnlyOutputsAreRefusedWhenPlanning() {
        try (Arena arena = Arena.ofConfined(); Tensor x = Tensor.allocate(X); Tensor mean = Tensor.allocate(NC);
             Tensor invstd = Tensor.allocate(NC)) {
            Tensor readOnlyY = Tensor.wrap(arena.allocate(X.byteSize(), 64).asReadOnly(), X);
            assertRefused("InstanceNorm", "output y", "a read-only tensor",
                    () -> forward().onResize(List.of(x), List.of(readOnlyY, mean, invstd)));
        }
    }

    @Test
    void inPlaceNeedsDyItselfAsOutput() {
        try (Tensor x = Tensor.allocate(X); Tensor dy = Tensor.allocate(X); Tensor other = Tensor.allocate(X)) {
            Execution e = grad("savedStats", false, "inPlace", true);
            assertRefused("InstanceNormGrad", "output dx", "another tensor",
                    () -> e.onResize(List.of(x, dy), List.of(other)));
            e.onResize(List.of(x, dy), List.of(dy)); // accepted
        }
    }

    @Test
    void directApiRefusesHalfTheSavedStatistics() {
        try (Tensor x = Tensor.allocate(X); Tensor dy = Tensor.allocate(X); Tensor mean = Tensor.allocate(NC)) {
            assertRefused("InstanceNormGrad", "mean, invstd", "mean only",
                    () -> InstanceNorm.backward(backend, x, dy, mean, null, null, false, 1e-5));
        }
    }

    @Test
    void outputTypesFollowTheConvention() {
        TensorType channelsLast = new TensorType(Shape.of(2, 3, 4), DType.FLOAT32, Layout.CHANNELS_LAST);
        assertEquals(List.of(channelsLast, NC, NC),
                forward("gamma", true, "beta", true).outputTypes(List.of(channelsLast, C, C)));
        assertEquals(List.of(X, C, C), grad("gamma", true, "beta", true).outputTypes(List.of(X, X, NC, NC, C)));
        assertEquals(List.of(X, C), grad("savedStats", false, "beta", true).outputTypes(List.of(X, X)));
        assertEquals(List.of(X), grad().outputTypes(List.of(X, X, NC, NC)));
    }
}
