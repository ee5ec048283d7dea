package dev.ingot.ops.norm;

import static dev.ingot.ops.norm.testing.Checks.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.ops.norm.testing.Reference;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import org.junit.jupiter.api.Test;

/** The direct API: results, caller-provided outputs, and ownership of the tensors it creates. */
class InstanceNormDirectApiTest {

    @Test
    void outputsItCreatesAreTheCallersAndCloseGivesTheirMemoryBack() {
        Problem p = Problem.random(11, 2, 3, 40, false, false, 1e-5);
        Shape shape = Shape.of(2, 3, 40);
        try (CpuBackend backend = CpuBackend.builder().threads(2).build();
             Tensor x = Tensor.copyOf(p.x(), shape);
             Tensor dy = Tensor.copyOf(p.dy(), shape)) {
            long before = backend.staticBytesInUse();
            InstanceNorm.Forward f = InstanceNorm.forward(backend, x, null, null, p.eps());
            InstanceNorm.Gradients g = InstanceNorm.backward(backend, x, dy, null, null, null, false, p.eps());
            assertTrue(backend.staticBytesInUse() > before, "outputs live in the backend's STATIC memory");
            assertWithin("y", f.y().toFloatArray(), p.referenceForward().y());
            assertWithin("dx (recomputed statistics, no gamma)", g.dx().toFloatArray(), p.referenceBackward().dx());
            assertNull(g.dgamma());
            assertNull(g.dbeta());
            f.close();
            g.close();
            assertEquals(before, backend.staticBytesInUse(), "closing the results released their memory");
            assertTrue(backend.leaksAtClose().bytes() == 0);
        }
    }

    @Test
    void intoCallerTensorsGivesTheSameNumbers() {
        Problem p = Problem.random(12, 2, 3, 40, true, true, 1e-5);
        Shape shape = Shape.of(2, 3, 40);
        try (CpuBackend backend = CpuBackend.builder().threads(2).build();
             Tensor x = Tensor.copyOf(p.x(), shape);
             Tensor dy = Tensor.copyOf(p.dy(), shape);
             Tensor gamma = Tensor.copyOf(p.gamma(), Shape.of(3));
             Tensor beta = Tensor.copyOf(p.beta(), Shape.of(3));
             Tensor y = Tensor.allocate(TensorType.float32(2, 3, 40));
             Tensor mean = Tensor.allocate(TensorType.float32(2, 3));
             Tensor invstd = Tensor.allocate(TensorType.float32(2, 3));
             Tensor dx = Tensor.allocate(TensorType.float32(2, 3, 40));
             Tensor dgamma = Tensor.allocate(TensorType.float32(3));
             InstanceNorm.Forward f = InstanceNorm.forward(backend, x, gamma, beta, p.eps());
             InstanceNorm.Gradients g = InstanceNorm.backward(backend, x, dy, f.mean(), f.invstd(), gamma, false,
                     p.eps())) {
            InstanceNorm.forwardInto(backend, x, gamma, beta, p.eps(), y, mean, invstd);
            assertArrayEquals(f.y().toFloatArray(), y.toFloatArray());
            assertArrayEquals(f.mean().toFloatArray(), mean.toFloatArray());
            assertArrayEquals(f.invstd().toFloatArray(), invstd.toFloatArray());
            InstanceNorm.backwardInto(backend, x, dy, mean, invstd, gamma, p.eps(), dx, dgamma, null);
            assertArrayEquals(g.dx().toFloatArray(), dx.toFloatArray());
            assertArrayEquals(g.dgamma().toFloatArray(), dgamma.toFloatArray());
            Reference.Backward ref = p.referenceBackward();
            assertWithin("dx", dx.toFloatArray(), ref.dx());
            assertWithin("dgamma", dgamma.toFloatArray(), ref.dgamma());

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InstanceNorm.backwardInto(backend, x, dy, mean, invstd, gamma, p.eps(), dx, null, null));
            assertTrue(e.getMessage().startsWith("InstanceNormGrad: dgamma: expected "), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> InstanceNorm.forwardInto(backend, x, gamma, beta, p.eps(), y, invstd, mean.reshape(
                            Shape.of(6))));
            assertTrue(e.getMessage().startsWith("InstanceNorm: output invstd: expected "), e.getMessage());
        }
    }
}
