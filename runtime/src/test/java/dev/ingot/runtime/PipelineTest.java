package dev.ingot.runtime;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineTest {

    private static final int ROWS = 256; // 1 MiB tensors: the eager pool's block size
    private static final int COLS = 1024;
    private static final long TENSOR_BYTES = ROWS * COLS * 4L;

    private static CpuBackend backend(MemoryMode mode) {
        return CpuBackend.builder().memoryMode(mode).threads(2).build();
    }

    private static float[] ramp(int n, float scale) {
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (i % 97) * scale - 3;
        }
        return data;
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void chainOfTenOpsPeaksAtThreeIntermediatesAndLeavesInputsAlone(MemoryMode mode) {
        try (CpuBackend backend = backend(mode)) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(ROWS, COLS));
            Tensor t = x;
            double added = 0;
            for (int i = 0; i < 10; i++) {
                float c = 0.25f * (i + 1);
                t = b.op(new TestOps.AddConstant(backend, c, false), t);
                added += c;
            }
            b.output(t);
            Pipeline pipeline = b.build();
            MemoryPlan plan = pipeline.plan();
            assertEquals(mode, plan.mode());
            assertEquals(10, plan.dynamicTensors());
            assertEquals(10 * TENSOR_BYTES, plan.totalDynamicBytes());
            assertTrue(plan.peakDynamicBytes() <= 3 * TENSOR_BYTES, plan.toString());
            assertTrue(plan.lowerBoundBytes() <= plan.peakDynamicBytes(), plan.toString());
            assertEquals(2 * TENSOR_BYTES, plan.lowerBoundBytes(), plan.toString());
            assertTrue(plan.reservedBytes() <= 3 * TENSOR_BYTES, plan.toString());

            float[] input = ramp(ROWS * COLS, 0.5f);
            x.copyFrom(input);
            pipeline.run();
            pipeline.run();
            assertArrayEquals(input, x.toFloatArray(), "inputs are never overwritten");
            float[] out = t.toFloatArray();
            for (int i = 0; i < out.length; i++) {
                // float32 additions of exact binary fractions: compare with a float64 reference
                assertEquals(input[i] + added, out[i], 1e-5, "element " + i);
            }
            pipeline.close();
            assertThrows(IllegalStateException.class, t::segment);
        }
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void scratchIsValidDuringExecuteAndNeverOverlapsTheOpsTensors(MemoryMode mode) {
        try (CpuBackend backend = backend(mode)) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(8, 32));
            List<TestOps.AddConstant> ops = new ArrayList<>();
            Tensor t = x;
            for (int i = 0; i < 4; i++) {
                TestOps.AddConstant op = new TestOps.AddConstant(backend, 1f, true);
                ops.add(op);
                t = b.op(op, t);
            }
            b.output(t);
            try (Pipeline pipeline = b.build()) {
                x.copyFrom(new float[256]);
                pipeline.run();
                for (float v : t.toFloatArray()) {
                    assertEquals(4f, v);
                }
                for (TestOps.AddConstant op : ops) {
                    long bytes = 8 * 32 * 4;
                    assertFalse(rangesOverlap(op.scratchAddress, op.inputAddress, bytes), "scratch vs input");
                    assertFalse(rangesOverlap(op.scratchAddress, op.outputAddress, bytes), "scratch vs output");
                }
            }
        }
    }

    @Test
    void resizeOnlyWhenShapesChange() {
        try (CpuBackend backend = backend(MemoryMode.DEFERRED)) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(2, 3));
            Tensor y = b.op(new TestOps.AddConstant(backend, 1f, false), x);
            b.output(y);
            try (Pipeline pipeline = b.build()) {
                MemoryPlan first = pipeline.plan();
                assertSame(first, pipeline.resize(), "no shape change: nothing to plan");
                pipeline.setInputShape(x, Shape.of(4, 5));
                assertTrue(pipeline.needsResize());
                assertThrows(IllegalStateException.class, pipeline::run);
                MemoryPlan second = pipeline.resize();
                assertEquals(Shape.of(4, 5), x.shape());
                assertEquals(Shape.of(4, 5), y.shape());
                assertEquals(20 * 4, x.segment().byteSize());
                x.copyFrom(ramp(20, 1f));
                pipeline.run();
                float[] out = y.toFloatArray();
                float[] in = ramp(20, 1f);
                for (int i = 0; i < 20; i++) {
                    assertEquals(in[i] + 1f, out[i]);
                }
                assertTrue(second.totalDynamicBytes() > first.totalDynamicBytes());
                pipeline.resize(Map.of(x, Shape.of(1, 3)));
                assertEquals(Shape.of(1, 3), y.shape());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void segmentsFromAnEarlierPlanCannotReachMemoryAfterAResize(MemoryMode mode) {
        try (CpuBackend backend = backend(mode)) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(4, 8));
            Tensor hidden = b.op(new TestOps.AddConstant(backend, 1f, false), x);
            Tensor y = b.op(new TestOps.AddConstant(backend, 1f, false), hidden);
            b.output(y);
            try (Pipeline pipeline = b.build()) {
                MemorySegment oldHidden = hidden.segment();
                MemorySegment oldOutput = y.segment();
                pipeline.setInputShape(x, Shape.of(8, 8));
                pipeline.resize();
                assertThrows(IllegalStateException.class,
                        () -> oldHidden.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
                assertThrows(IllegalStateException.class,
                        () -> oldOutput.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
                assertEquals(256, y.segment().byteSize());
            }
        }
    }

    @Test
    void badShapeNamesTheOpAndLeavesThePipelineNeedingAResize() {
        try (CpuBackend backend = backend(MemoryMode.EAGER)) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(2, 3));
            b.output(b.op(new TestOps.Rank2Only(), x));
            try (Pipeline pipeline = b.build()) {
                pipeline.setInputShape(x, Shape.of(2, 3, 4));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, pipeline::resize);
                assertTrue(e.getMessage().contains("Rank2Only") && e.getMessage().contains("[N, C]")
                        && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
                assertThrows(IllegalStateException.class, pipeline::run);
                pipeline.setInputShape(x, Shape.of(5, 5));
                pipeline.resize();
                pipeline.run();
            }
            Pipeline.Builder bad = Pipeline.builder(backend);
            Tensor p = bad.input(TensorType.float32(2, 3));
            Tensor q = bad.input(TensorType.float32(3, 2));
            assertThrows(IllegalArgumentException.class, () -> bad.op(new TestOps.Add(), p, q));
        }
    }

    @Test
    void opsByTypeNameThroughARegistry() {
        OpRegistry registry = OpRegistry.of(List.of(new TestOps.AddConstantCreator()));
        assertEquals(java.util.Set.of("AddConstant"), registry.opTypes());
        try (CpuBackend backend = backend(MemoryMode.DEFERRED)) {
            Pipeline.Builder b = Pipeline.builder(backend, registry);
            Tensor x = b.input(TensorType.float32(4));
            Tensor y = b.op("AddConstant", Attributes.of("c", 2.5f), x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.op("InstanceNormX", Attributes.empty(), x));
            assertTrue(e.getMessage().contains("InstanceNormX") && e.getMessage().contains("[AddConstant]"),
                    e.getMessage());
            b.output(y);
            try (Pipeline pipeline = b.build()) {
                x.copyFrom(new float[] {1, 2, 3, 4});
                pipeline.run();
                assertArrayEquals(new float[] {3.5f, 4.5f, 5.5f, 6.5f}, y.toFloatArray());
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> OpRegistry.of(List.of(new TestOps.AddConstantCreator(), new TestOps.AddConstantCreator())));
    }

    @Test
    void standardRegistryNamesWhatItKnowsForAnUnknownOp() {
        OpRegistry standard = OpRegistry.standard();
        assertSame(standard, OpRegistry.standard(), "loaded once");
        try (CpuBackend backend = backend(MemoryMode.DEFERRED)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> standard.create("NoSuchOp", Attributes.empty(), backend));
            assertTrue(e.getMessage().contains("NoSuchOp") && e.getMessage().contains("known: "
                    + standard.opTypes()), e.getMessage());
        }
    }

    @Test
    void inPlaceUpdateOfAParameterAndExternalParameters() {
        try (CpuBackend backend = backend(MemoryMode.DEFERRED);
             Tensor bias = Tensor.copyOf(new float[] {10, 20, 30}, Shape.of(3))) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(3));
            Tensor w = b.parameter(TensorType.float32(3));
            w.copyFrom(new float[] {1, 1, 1});
            Tensor external = b.parameter(bias);
            Tensor y = b.op(new TestOps.Add(), x, w);
            Tensor z = b.op(new TestOps.Add(), y, external);
            b.update(new TestOps.SgdStep(0.5f), List.of(w, x), List.of(w));
            assertThrows(IllegalArgumentException.class,
                    () -> b.update(new TestOps.SgdStep(0.5f), List.of(x, x), List.of(x)), "inputs are not targets");
            b.output(z);
            try (Pipeline pipeline = b.build()) {
                x.copyFrom(new float[] {2, 4, 6});
                pipeline.run();
                assertArrayEquals(new float[] {13, 25, 37}, z.toFloatArray());
                assertArrayEquals(new float[] {0, -1, -2}, w.toFloatArray(), "w -= 0.5 * x");
                pipeline.run();
                assertArrayEquals(new float[] {12, 23, 34}, z.toFloatArray(), "second run sees updated w");
                assertArrayEquals(new float[] {2, 4, 6}, x.toFloatArray());
            }
            assertArrayEquals(new float[] {10, 20, 30}, bias.toFloatArray(), "external parameter untouched");
            assertFalse(bias.isClosed(), "the caller's tensor stays the caller's");
        }
    }

    @ParameterizedTest
    @EnumSource(MemoryMode.class)
    void twoPipelinesOnOneBackendRunConcurrently(MemoryMode mode) throws Exception {
        try (CpuBackend backend = backend(mode)) {
            Pipeline[] pipelines = new Pipeline[2];
            Tensor[] ins = new Tensor[2];
            Tensor[] outs = new Tensor[2];
            List<List<Tensor>> dynamic = List.of(new ArrayList<>(), new ArrayList<>());
            for (int p = 0; p < 2; p++) {
                Pipeline.Builder b = Pipeline.builder(backend);
                ins[p] = b.input(TensorType.float32(16, 64));
                Tensor t = ins[p];
                for (int i = 0; i < 5; i++) {
                    t = b.op(new TestOps.AddConstant(backend, p + 1, false), t);
                    dynamic.get(p).add(t);
                }
                b.output(t);
                outs[p] = t;
                pipelines[p] = b.build();
            }
            for (Tensor a : dynamic.get(0)) {
                for (Tensor c : dynamic.get(1)) {
                    assertFalse(CpuBackendTest.overlap(a.segment(), c.segment()),
                            "pipelines never share dynamic memory");
                }
            }
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int p = 0; p < 2; p++) {
                    int id = p;
                    done.add(threads.submit(() -> {
                        for (int round = 0; round < 100; round++) {
                            float[] data = ramp(16 * 64, round + id);
                            ins[id].copyFrom(data);
                            pipelines[id].run();
                            float[] out = outs[id].toFloatArray();
                            for (int i = 0; i < out.length; i++) {
                                assertEquals(data[i] + 5f * (id + 1), out[i], 1e-3, "pipeline " + id);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                threads.shutdownNow();
            }
            pipelines[0].close();
            pipelines[1].close();
        }
    }

    @Test
    void closedBackendStopsPipelines() {
        CpuBackend backend = backend(MemoryMode.DEFERRED);
        Pipeline.Builder b = Pipeline.builder(backend);
        Tensor x = b.input(TensorType.float32(4));
        b.output(b.op(new TestOps.AddConstant(backend, 1f, false), x));
        Pipeline pipeline = b.build();
        backend.close();
        assertThrows(IllegalStateException.class, pipeline::run);
        pipeline.close();
    }

    private static boolean rangesOverlap(long a, long b, long bytes) {
        return a < b + bytes && b < a + bytes;
    }
}
