package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.kernel.BackwardPass;
import dev.ingot.ops.norm.kernel.ForwardPass;
import dev.ingot.ops.norm.kernel.NormGeometry;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Heap scratch is sized from the shape before anything is allocated, and every failure (Errors included) gives
 * back the memory taken for the outputs.
 */
class ScratchAndFailureTest {

    /** [1, C, 1] with C so large that a pass's heap scratch provably exceeds this JVM's largest heap. */
    private static Shape beyondTheHeap() {
        long heap = Runtime.getRuntime().maxMemory();
        long perInstance = ForwardPass.scratchBytes(NormGeometry.of(1, 1, 1, false, 1)); // smaller than backward's
        long channels = Math.min(NormGeometry.MAX_INSTANCES, heap / perInstance + 1);
        return Shape.of(1, channels, 1);
    }

    @Test
    void scratchBytesAreExactForTheIssuesShape() {
        NormGeometry g = NormGeometry.of(1, 1 << 25, 1, false, NormGeometry.DEFAULT_CHUNK_ELEMENTS);
        // stats: 9 doubles per unit (one unit per plane); coefficients: 4 (forward) or 8 (backward) per instance;
        // error estimates: 1 (forward) or 2 (backward) per instance; the backward's 3 per channel
        assertEquals((1L << 25) * (9 + 4 + 1) * 8, ForwardPass.scratchBytes(g));
        assertEquals((1L << 25) * (9 + 8 + 2 + 3) * 8, BackwardPass.scratchBytes(g));
        NormGeometry rows = NormGeometry.of(2, 3, 1000, true, NormGeometry.DEFAULT_CHUNK_ELEMENTS);
        assertEquals(((long) rows.statsLength() + 6 * (4 + 3)) * 8, ForwardPass.scratchBytes(rows));
    }

    @Test
    void anInputWhoseScratchCannotFitTheHeapIsRefusedBeforeAnyAllocation() {
        Shape shape = beyondTheHeap();
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            Tensor x = backend.newTensor(TensorType.float32(shape.dims())); // never backed: nothing may touch it
            long before = backend.staticBytesInUse();
            IllegalArgumentException forward = assertThrows(IllegalArgumentException.class,
                    () -> InstanceNorm.forward(backend, x, null, null, 1e-5));
            assertTrue(forward.getMessage().contains("input x") && forward.getMessage().contains(shape.toString()),
                    forward.getMessage());
            IllegalArgumentException backward = assertThrows(IllegalArgumentException.class,
                    () -> InstanceNorm.backward(backend, x, x, null, null, null, false, 1e-5));
            assertTrue(backward.getMessage().contains("input x"), backward.getMessage());
            assertEquals(before, backend.staticBytesInUse(), "no output was allocated");

            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor input = b.input(TensorType.float32(shape.dims()));
            IllegalArgumentException planned = assertThrows(IllegalArgumentException.class,
                    () -> b.ops(InstanceNorm.OP_TYPE, Attributes.empty(), input));
            assertTrue(planned.getMessage().contains("input x"), planned.getMessage());
            assertEquals(before, backend.staticBytesInUse(), "the pipeline input was not allocated either");
        }
    }

    /** An op that throws an Error from its execution, as an OutOfMemoryError from its scratch would. */
    private static final class Failing implements Execution {
        private final Error error;
        private final boolean inResize;

        Failing(Error error, boolean inResize) {
            this.error = error;
            this.inResize = inResize;
        }

        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            return List.of(inputs.get(0), TensorType.float32(4));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
            if (inResize) {
                throw error;
            }
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            throw error;
        }
    }

    @Test
    void anErrorFromTheOpReleasesItsOutputs() {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build();
             Tensor x = Tensor.copyOf(new float[2 * 3 * 64], Shape.of(2, 3, 64))) {
            long before = backend.staticBytesInUse();
            for (boolean inResize : new boolean[] {true, false}) {
                OutOfMemoryError injected = new OutOfMemoryError("injected");
                OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class,
                        () -> InstanceNorm.runIntoNewOutputs(backend, new Failing(injected, inResize), List.of(x)));
                assertSame(injected, thrown);
                assertEquals(before, backend.staticBytesInUse(), "outputs released after an Error");
            }
        }
    }
}
