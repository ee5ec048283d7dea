package dev.ingot.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Whatever an op throws, Errors included, a pipeline gives back what it took and stays usable or closed. */
class PipelineFailureTest {

    /** out = in + 1, or throws {@link #error} from resize or execute while it is set. */
    static final class MaybeFailing implements Execution {
        Error error;
        boolean inResize;

        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
            if (error != null && inResize) {
                throw error;
            }
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            if (error != null && !inResize) {
                throw error;
            }
            float[] in = inputs.get(0).toFloatArray();
            for (int i = 0; i < in.length; i++) {
                in[i] += 1f;
            }
            outputs.get(0).copyFrom(in);
        }
    }

    @Test
    void anErrorWhileBuildingReleasesTheInputsAndParameters() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build()) {
            long before = backend.staticBytesInUse();
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(1 << 16));
            Tensor w = b.parameter(TensorType.float32(1 << 12));
            MaybeFailing op = new MaybeFailing();
            op.error = new OutOfMemoryError("injected");
            op.inResize = true;
            b.output(b.op(op, x));
            OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, b::build);
            assertSame(op.error, thrown);
            assertEquals(before, backend.staticBytesInUse(), "input and parameter memory given back");
            assertFalse(w.isBacked());
        }
    }

    @Test
    void anErrorWhileRunningLeavesThePipelineFreeAndUsable() throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build()) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(4));
            MaybeFailing op = new MaybeFailing();
            Tensor y = b.op(op, x);
            b.output(y);
            ExecutorService other = Executors.newSingleThreadExecutor();
            try (Pipeline pipeline = b.build()) {
                op.error = new StackOverflowError("injected");
                assertThrows(StackOverflowError.class, pipeline::run);
                op.error = null;
                other.submit(() -> {
                    x.copyFrom(new float[] {1, 2, 3, 4});
                    pipeline.run();
                }).get(30, TimeUnit.SECONDS);
                assertArrayEquals(new float[] {2, 3, 4, 5}, y.toFloatArray(), "the claim was given back");
            } finally {
                other.shutdownNow();
            }
        }
    }
}
