package dev.ingot.runtime.io;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A write that cannot be completed writes nothing, and the data cannot change under a write. */
class NpyWholeWriteTest {

    @TempDir
    Path tmp;

    @Test
    void aTensorThatCannotBeReadWritesNotEvenAHeader() {
        Tensor closed = Tensor.copyOf(new float[] {1, 2, 3}, Shape.of(3));
        closed.close();
        ByteBuffer buffer = ByteBuffer.allocate(1024);
        assertThrows(IllegalStateException.class, () -> Npy.write(buffer, closed));
        assertEquals(0, buffer.position(), "nothing was written into the buffer");
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        assertThrows(IllegalStateException.class, () -> Npy.write(stream, closed));
        assertEquals(0, stream.size(), "nothing was written into the stream");
    }

    @Test
    void aPipelineTensorIsWrittenOnlyByItsHolderAndNeverTorn() throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build()) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(4));
            b.output(b.op(new Identity(), x));
            ExecutorService holder = Executors.newSingleThreadExecutor();
            try (Pipeline pipeline = b.build()) {
                x.copyFrom(new float[] {1, 2, 3, 4});
                CountDownLatch held = new CountDownLatch(1);
                CountDownLatch done = new CountDownLatch(1);
                Future<?> holding = holder.submit(() -> {
                    try (Pipeline.Hold hold = pipeline.hold()) {
                        held.countDown();
                        assertTrue(done.await(30, TimeUnit.SECONDS));
                    }
                    return null;
                });
                assertTrue(held.await(30, TimeUnit.SECONDS));
                ByteArrayOutputStream stream = new ByteArrayOutputStream();
                assertThrows(IllegalStateException.class, () -> Npy.write(stream, x));
                assertEquals(0, stream.size());
                Path file = tmp.resolve("x.npy");
                assertThrows(IllegalStateException.class, () -> Npy.write(file, x));
                assertFalse(Files.exists(file));
                try (var names = Files.list(tmp)) {
                    assertEquals(0, names.count(), "no temporary file left");
                }
                done.countDown();
                holding.get(30, TimeUnit.SECONDS);

                // The writer holds the pipeline while it reads: another thread's run is refused meanwhile.
                x.withSegment(memory -> {
                    Future<?> run = holder.submit(pipeline::run);
                    java.util.concurrent.ExecutionException refused = assertThrows(
                            java.util.concurrent.ExecutionException.class, () -> run.get(30, TimeUnit.SECONDS));
                    assertTrue(refused.getCause() instanceof IllegalStateException);
                });
                Npy.write(file, x);
                try (Tensor back = Npy.read(file)) {
                    assertArrayEquals(new float[] {1, 2, 3, 4}, back.toFloatArray());
                }
            } finally {
                done(holder);
            }
        }
    }

    private static void done(ExecutorService threads) {
        threads.shutdownNow();
    }

    /** out = in. */
    private static final class Identity implements dev.ingot.runtime.Execution {
        @Override
        public java.util.List<TensorType> outputTypes(java.util.List<TensorType> inputs) {
            return java.util.List.of(inputs.get(0));
        }

        @Override
        public void onResize(java.util.List<Tensor> inputs, java.util.List<Tensor> outputs) {
        }

        @Override
        public void onExecute(java.util.List<Tensor> inputs, java.util.List<Tensor> outputs) {
            java.lang.foreign.MemorySegment.copy(inputs.get(0).segment(), 0, outputs.get(0).segment(), 0,
                    inputs.get(0).byteSize());
        }
    }
}
