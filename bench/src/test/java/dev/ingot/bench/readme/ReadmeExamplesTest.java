package dev.ingot.bench.readme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.MemoryChunk;
import dev.ingot.allocator.SegmentSource;
import dev.ingot.ops.grad.InstanceNormExpr;
import dev.ingot.ops.math.MathOps;
import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.MemoryPlan;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.PipelineFactory;
import dev.ingot.runtime.PipelinePool;
import dev.ingot.runtime.PipelinePoolStats;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.SgdMomentum;
import dev.ingot.runtime.express.Trainer;
import dev.ingot.runtime.io.Npy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The code examples of README.md, compiled and run, so the README cannot drift from the API. */
class ReadmeExamplesTest {

    @Test
    void allocatorExample() {
        // README: allocator
        try (EagerBufferAllocator pool = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("activations").withLimit(256L << 20))) {
            MemoryChunk chunk = pool.alloc(1 << 20);            // 1 MiB, 64-byte aligned
            chunk.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 0, 1.5f);
            pool.free(chunk);                                   // back to the free list
            MemoryChunk again = pool.alloc(1 << 20);            // served from the free list
            System.out.println(pool.stats());                   // in use, pooled, reserved, peak, reuses
            pool.free(again);
            pool.release(false);                                // wholly free blocks go back to the OS
            // README end
            assertEquals(1, pool.stats().reuses());
            assertEquals(0, pool.stats().reserved());
            assertThrows(AllocationLimitException.class, () -> pool.alloc(512L << 20));
        }
    }

    @Test
    void pipelineExample() {
        float[] values = new float[2 * 3 * 8 * 8];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i);
        }
        // README: pipeline
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            Pipeline.Builder graph = Pipeline.builder(backend);
            Tensor x = graph.input(new TensorType(Shape.of(2, 3, 8, 8), DType.FLOAT32, Layout.NCHW));
            List<Tensor> norm = graph.ops(InstanceNorm.OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x);
            graph.output(norm.get(0));
            try (Pipeline pipeline = graph.build()) {           // plans memory once
                MemoryPlan plan = pipeline.plan();              // peak dynamic bytes vs the naive sum
                x.copyFrom(values);
                pipeline.run();                                 // allocates nothing; run it again and again
                float[] y = norm.get(0).toFloatArray();
                // README end
                assertTrue(plan.peakDynamicBytes() > 0);
                assertEquals(values.length, y.length);
                double sum = 0;
                for (int i = 0; i < 64; i++) {
                    sum += y[i];
                }
                assertEquals(0, sum, 1e-4, "each plane is centred");
            }
        }
    }

    @Test
    void directOpAndNpyExample(@TempDir Path dir) {
        Path file = dir.resolve("x.npy");
        try (Tensor t = Tensor.copyOf(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, Shape.of(1, 2, 4))) {
            Npy.write(file, t);
        }
        // README: direct
        try (CpuBackend backend = new CpuBackend();
             Tensor x = Npy.map(file);                          // zero copy: the file's pages are the tensor
             InstanceNorm.Forward out = InstanceNorm.forward(backend, x, null, null, 1e-5);
             Tensor dy = Tensor.copyOf(new float[8], x.shape());
             InstanceNorm.Gradients grads = InstanceNorm.backward(backend, x, dy, out.mean(), out.invstd(),
                     null, false, 1e-5)) {
            Npy.write(dir.resolve("y.npy"), out.y());           // written to a temporary file, then renamed
            // README end
            assertArrayEquals(new float[] {2.5f, 6.5f}, out.mean().toFloatArray());
            assertArrayEquals(new float[8], grads.dx().toFloatArray());
        }
    }

    @Test
    void trainingExample() {
        int channels = 4;
        TensorType features = new TensorType(Shape.of(2, channels, 8, 8), DType.FLOAT32, Layout.NCHW);
        float[] content = new float[2 * channels * 64];
        float[] style = new float[content.length];
        for (int i = 0; i < content.length; i++) {
            content[i] = (float) Math.sin(0.37 * i);
            style[i] = 3 * content[i] + 1;
        }
        float[] ones = {1, 1, 1, 1};
        float firstLoss = Float.NaN;
        // README: training
        try (CpuBackend backend = new CpuBackend()) {
            Graph graph = new Graph(backend);
            Expr x = graph.input("content", features);
            Expr target = graph.input("target", features);
            Expr gamma = graph.parameter("gamma", TensorType.float32(channels), ones);
            Expr beta = graph.parameter("beta", TensorType.float32(channels), new float[channels]);
            Expr loss = MathOps.mseLoss(InstanceNormExpr.of(x, gamma, beta, 1e-5), target);
            try (Trainer trainer = Trainer.compile(backend, loss, List.of(gamma, beta),
                    new SgdMomentum(0.05 * channels, 0.9))) {   // backward from the registered rules, one pipeline
                trainer.tensor(x).copyFrom(content);
                trainer.tensor(target).copyFrom(style);
                for (int step = 0; step < 200; step++) {
                    trainer.step();                             // one run(): forward, backward, update in place
                    firstLoss = step == 0 ? trainer.loss() : firstLoss;
                }
                float[] learnedGamma = trainer.tensor(gamma).toFloatArray();
                // README end
                float lastLoss = trainer.loss();
                assertTrue(lastLoss < firstLoss / 100, "loss " + firstLoss + " -> " + lastLoss);
                assertTrue(learnedGamma[0] > 2, "gamma learns the style's spread: " + learnedGamma[0]);
            }
        }
    }

    @Test
    void servingExample() {
        long bytes = 1L * 64 * 56 * 56 * Float.BYTES;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment request = arena.allocate(bytes, 64);
            MemorySegment response = arena.allocate(bytes, 64);
            for (long i = 0; i < bytes / 4; i++) {
                request.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i * 0.1) * 4 + 2);
            }
            PipelinePoolStats stats;
            // README: serving
            PipelineFactory norm = (b, shape) -> {                  // builds the graph for one input shape
                Pipeline.Builder graph = Pipeline.builder(b);
                Tensor x = graph.input(new TensorType(shape, DType.FLOAT32, Layout.NCHW));
                graph.output(graph.ops(InstanceNorm.OP_TYPE, Attributes.of(InstanceNorm.EPS, 1e-5), x).get(0));
                return graph.build();
            };
            try (CpuBackend backend = CpuBackend.builder().threads(2).build();
                 PipelinePool pool = PipelinePool.builder(backend, norm).maxPerShape(2).timeout(Duration.ofMillis(100)).build()) {
                Shape shape = Shape.of(1, 64, 56, 56);
                pool.warmUp(shape);                                 // plans it and gets its kernels compiled
                // on each request thread, with the request and response in a shared arena or direct buffers:
                try (PipelinePool.Lease lease = pool.acquire(shape)) {  // waits at most 100 ms, then PipelinePoolTimeoutException
                    Pipeline pipeline = lease.pipeline();           // held by this thread until the lease closes
                    pipeline.bindInput(0, request, DType.FLOAT32, Layout.NCHW);    // the caller's memory, not copied
                    pipeline.bindOutput(0, response, DType.FLOAT32, Layout.NCHW);
                    pipeline.run();                                 // reads request, writes response
                }
                // README end
                stats = pool.stats();
            }
            assertEquals(2, stats.acquires());
            assertEquals(1, stats.planned());
            double sum = 0;
            double squares = 0;
            for (long i = 0; i < 56 * 56; i++) { // the first plane of y: mean 0, variance 1
                double y = response.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                sum += y;
                squares += y * y;
            }
            assertEquals(0, sum / (56 * 56), 1e-4);
            assertEquals(1, squares / (56 * 56), 1e-3);
        }
    }

    @Test
    void npyStreamsExample() throws Exception {
        java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
        try (Tensor original = Tensor.copyOf(new float[] {1, 2, 3, 4, 5, 6}, Shape.of(1, 2, 3))) {
            Npy.write(sent, original);
        }
        java.io.InputStream socketIn = new java.io.ByteArrayInputStream(sent.toByteArray());
        java.io.ByteArrayOutputStream socketOut = new java.io.ByteArrayOutputStream();
        // README: npy streams
        try (EagerBufferAllocator pool = new EagerBufferAllocator();
             Tensor x = Npy.read(socketIn, pool)) {              // InputStream, ReadableByteChannel or ByteBuffer
            Npy.write(socketOut, x);                            // OutputStream, WritableByteChannel or ByteBuffer
        }
        // README end
        assertArrayEquals(sent.toByteArray(), socketOut.toByteArray());
    }
}

