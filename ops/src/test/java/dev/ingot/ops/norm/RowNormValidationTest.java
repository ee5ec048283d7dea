package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.DirectOps;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
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

/** Bad arguments to the row norms are refused with one-line messages naming the op and the argument. */
class RowNormValidationTest {
    private static CpuBackend backend;

    @BeforeAll
    static void open() {
        backend = CpuBackend.builder().threads(1).build();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static Tensor zeros(long... dims) {
        return Tensor.copyOf(new float[(int) Shape.of(dims).elementCount()], Shape.of(dims));
    }

    private static void refused(String op, String argument, Attributes a, Tensor... inputs) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DirectOps.run(backend, op, a, List.of(inputs)).forEach(Tensor::close));
        String m = e.getMessage();
        assertTrue(m.startsWith(op + ": " + argument + ": expected "), m);
        assertEquals(-1, m.indexOf('\n'), m);
    }

    @Test
    void badArgumentsAreRefused() {
        Tensor x = zeros(2, 6, 3, 3);
        refused(GroupNorm.OP_TYPE, "attribute groups", Attributes.of(GroupNorm.GROUPS, 4), x);
        refused(GroupNorm.OP_TYPE, "attribute groups", Attributes.empty(), x);
        refused(GroupNorm.OP_TYPE, "attribute eps", Attributes.of(GroupNorm.GROUPS, 3, InstanceNorm.EPS, 0.0), x);
        refused(GroupNorm.OP_TYPE, "attribute 'group'", Attributes.of("group", 3), x);
        refused(GroupNorm.OP_TYPE, "input gamma", Attributes.of(GroupNorm.GROUPS, 3, InstanceNorm.GAMMA, true), x,
                zeros(3));
        refused(GroupNorm.OP_TYPE, "inputs", Attributes.of(GroupNorm.GROUPS, 3, InstanceNorm.GAMMA, true), x);
        refused(LayerNorm.OP_TYPE, "attribute axis", Attributes.of(LayerNorm.AXIS, 4), x);
        refused(LayerNorm.OP_TYPE, "input gamma", Attributes.of(LayerNorm.AXIS, 2, InstanceNorm.GAMMA, true), x,
                zeros(3));
        Tensor cl = Tensor.copyOf(new float[54], Shape.of(2, 3, 3, 3), Layout.CHANNELS_LAST);
        // channels-last rows over trailing dims that leave C out would interleave with the channels: refused
        refused(RmsNorm.OP_TYPE, "input x", Attributes.empty(), cl);
        refused(LayerNorm.OP_TYPE, "input x", Attributes.of(LayerNorm.AXIS, 2), cl);
        refused(LayerNorm.GRAD_OP_TYPE, "input x", Attributes.of(LayerNorm.AXIS, -2), cl, cl,
                zeros(2, 3), zeros(2, 3));
        Tensor packed = Tensor.copyOf(new float[54], Shape.of(2, 3, 3, 3), Layout.NC4HW4);
        refused(LayerNorm.OP_TYPE, "input x", Attributes.of(LayerNorm.AXIS, 1), packed);
        packed.close();
        refused(BatchNorm.OP_TYPE, "inputs", Attributes.of(BatchNorm.TRAINING, false), x);
        refused(BatchNorm.OP_TYPE, "attribute momentum", Attributes.of(BatchNorm.MOMENTUM, 1.5), x);
        refused(BatchNorm.OP_TYPE, "input x", Attributes.of(BatchNorm.RUNNING_STATS, true), zeros(1, 6),
                zeros(6), zeros(6));
        refused(GroupNorm.GRAD_OP_TYPE, "input dy", Attributes.of(GroupNorm.GROUPS, 3, InstanceNorm.SAVED_STATS,
                false), x, zeros(2, 6, 3));
        refused(LayerNorm.GRAD_OP_TYPE, "input mean", Attributes.of(LayerNorm.AXIS, -1), x, zeros(2, 6, 3, 3),
                zeros(2, 6), zeros(2, 6, 3));
        x.close();
        cl.close();
    }

    @Test
    void inPlaceGradientNeedsAWritableDyAsItsOutput() {
        TensorType type = TensorType.float32(2, 6, 3, 3);
        Execution e = OpRegistry.standard().create(LayerNorm.GRAD_OP_TYPE,
                Attributes.of(LayerNorm.AXIS, 1, InstanceNorm.SAVED_STATS, false, InstanceNorm.IN_PLACE, true),
                backend);
        try (Arena arena = Arena.ofConfined(); Tensor x = Tensor.allocate(type); Tensor dy = Tensor.allocate(type);
             Tensor other = Tensor.allocate(type)) {
            Tensor readOnlyDy = Tensor.wrap(arena.allocate(type.byteSize(), 64).asReadOnly(), type);
            IllegalArgumentException notDy = assertThrows(IllegalArgumentException.class,
                    () -> e.onResize(List.of(x, dy), List.of(other)));
            assertTrue(notDy.getMessage().startsWith("LayerNormGrad: output dx: expected the dy tensor itself"),
                    notDy.getMessage());
            IllegalArgumentException readOnly = assertThrows(IllegalArgumentException.class,
                    () -> e.onResize(List.of(x, readOnlyDy), List.of(readOnlyDy)));
            assertTrue(readOnly.getMessage().startsWith("LayerNormGrad: "), readOnly.getMessage());
            assertTrue(readOnly.getMessage().contains("a read-only tensor"), readOnly.getMessage());
            e.onResize(List.of(x, dy), List.of(dy)); // accepted
        }
    }
}
