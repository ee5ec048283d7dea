package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/**
 * The kernels this JVM picked follow the vector module's presence and {@code -Dingot.kernels}. The build runs this
 * test in three JVMs: the default one (Vector API), one with {@code -Dingot.kernels=scalar}, and one without
 * {@code --add-modules jdk.incubator.vector}; the golden and pipeline tests run in all three.
 */
class KernelSelectionTest {

    @Test
    void choiceFollowsTheModuleAndTheProperty() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean forcedScalar = System.getProperty(Kernels.PROPERTY, "").equals("scalar");
        assertEquals(module, Kernels.vector().isPresent(), "vector kernels load exactly when the module is present");
        if (module && !forcedScalar) {
            assertEquals("VectorPlaneKernels", Kernels.plane().getClass().getSimpleName());
            assertEquals("VectorRowKernels", Kernels.selected().rows().getClass().getSimpleName());
        } else {
            assertSame(Kernels.scalarSet(), Kernels.selected());
        }
    }
}
