package dev.ingot.runtime;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineBindingTest {

    private record Chain(Pipeline pipeline, TestOps.AddConstant first, TestOps.AddConstant last) {
    }

    /** x + 1 + 2 over [2, 3], recording the addresses its ops read and wrote. */
    private static Chain chain(CpuBackend backend) {
        Pipeline.Builder b = Pipeline.builder(backend);
        Tensor x = b.input(TensorType.float32(2, 3));
        TestOps.AddConstant first = new TestOps.AddConstant(backend, 1, false);
        TestOps.AddConstant last = new TestOps.AddConstant(backend, 2, false);
        b.output(b.op(last, b.op(first, x)));
        return new Chain(b.build(), first, last);
    }

    @Test
    void boundMemoryIsReadAndWrittenInPlaceForOneRun() {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build(); Arena arena = Arena.ofShared()) {
            Chain chain = chain(backend);
            Pipeline pipeline = chain.pipeline();
            MemorySegment request = arena.allocate(24, 64);
            MemorySegment response = arena.allocate(24, 64);
            for (int i = 0; i < 6; i++) {
                request.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            }
            pipeline.inputs().get(0).copyFrom(new float[]{10, 10, 10, 10, 10, 10});
            pipeline.bindInput(0, request, DType.FLOAT32, Layout.NCHW);
            pipeline.bindOutput(0, response, DType.FLOAT32, Layout.NCHW);
            pipeline.run();
            assertEquals(request.address(), chain.first().inputAddress, "the first op read the caller's request");
            assertEquals(response.address(), chain.last().outputAddress, "the last op wrote the caller's response");
            assertArrayEquals(new float[]{3, 4, 5, 6, 7, 8}, response.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(new float[]{10, 10, 10, 10, 10, 10}, pipeline.inputs().get(0).toFloatArray(),
                    "the input's own memory is untouched");

            pipeline.run(); // the binding lasted one run
            assertNotEquals(request.address(), chain.first().inputAddress);
            assertNotEquals(response.address(), chain.last().outputAddress);
            assertArrayEquals(new float[]{13, 13, 13, 13, 13, 13}, pipeline.outputs().get(0).toFloatArray());
            assertArrayEquals(new float[]{3, 4, 5, 6, 7, 8}, response.toArray(ValueLayout.JAVA_FLOAT));
            pipeline.close();
        }
    }

    @Test
    void directBuffersAreBoundWithoutACopy() {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            Chain chain = chain(backend);
            ByteBuffer request = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder());
            ByteBuffer response = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder());
            for (int i = 0; i < 6; i++) {
                request.putFloat(i * 4, -i);
            }
            chain.pipeline().bindInput(0, request, DType.FLOAT32, Layout.NCHW);
            chain.pipeline().bindOutput(0, response, DType.FLOAT32, Layout.NCHW);
            chain.pipeline().run();
            assertEquals(MemorySegment.ofBuffer(request).address(), chain.first().inputAddress);
            assertEquals(MemorySegment.ofBuffer(response).address(), chain.last().outputAddress);
            for (int i = 0; i < 6; i++) {
                assertEquals(3 - i, response.getFloat(i * 4));
            }
            chain.pipeline().close();
        }
    }

    @Test
    void memoryThatDoesNotFitIsRefusedNamingWhatWasExpected() {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build(); Arena shared = Arena.ofShared();
             Arena confined = Arena.ofConfined()) {
            Pipeline p = chain(backend).pipeline();
            MemorySegment ok = shared.allocate(24, 64);
            assertMessage("expected 24 bytes", () -> p.bindInput(0, shared.allocate(28, 64), DType.FLOAT32,
                    Layout.NCHW));
            assertMessage("expected dtype float32", () -> p.bindInput(0, ok, DType.FLOAT64, Layout.NCHW));
            assertMessage("expected layout NCHW", () -> p.bindInput(0, ok, DType.FLOAT32, Layout.CHANNELS_LAST));
            assertMessage("aligned to 4", () -> p.bindInput(0, shared.allocate(32, 64).asSlice(1, 24),
                    DType.FLOAT32, Layout.NCHW));
            assertMessage("native memory", () -> p.bindInput(0, MemorySegment.ofArray(new float[6]),
                    DType.FLOAT32, Layout.NCHW));
            assertMessage("writable", () -> p.bindOutput(0, ok.asReadOnly(), DType.FLOAT32, Layout.NCHW));
            assertMessage("confined", () -> p.bindInput(0, confined.allocate(24, 64), DType.FLOAT32,
                    Layout.NCHW));
            assertMessage("inputIndex", () -> p.bindInput(1, ok, DType.FLOAT32, Layout.NCHW));
            assertMessage("direct", () -> p.bindInput(0, ByteBuffer.allocate(24), DType.FLOAT32, Layout.NCHW));
            assertMessage("native byte order", () -> p.bindInput(0,
                    ByteBuffer.allocateDirect(24).order(ByteOrder.BIG_ENDIAN), DType.FLOAT32, Layout.NCHW));
            p.bindInput(0, ok.asReadOnly(), DType.FLOAT32, Layout.NCHW); // a read-only request is fine
            p.run();
            p.close();
        }
    }

    @Test
    void confinedMemoryIsFineOnAOneThreadBackend() {
        try (CpuBackend backend = CpuBackend.builder().threads(1).build(); Arena confined = Arena.ofConfined()) {
            Chain chain = chain(backend);
            MemorySegment request = confined.allocate(24, 64);
            chain.pipeline().bindInput(0, request, DType.FLOAT32, Layout.NCHW);
            chain.pipeline().run();
            assertEquals(request.address(), chain.first().inputAddress);
            chain.pipeline().close();
        }
    }

    @Test
    void onlyTheBindingThreadRunsWithItsBindingsAndAResizeDropsThem() throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build(); Arena arena = Arena.ofShared()) {
            Chain chain = chain(backend);
            Pipeline p = chain.pipeline();
            MemorySegment request = arena.allocate(24, 64);
            p.bindInput(0, request, DType.FLOAT32, Layout.NCHW);
            Throwable other = CompletableFuture.supplyAsync(() -> {
                try {
                    p.run();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }).get(60, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, other);
            p.setInputShape(p.inputs().get(0), Shape.of(3, 2));
            p.resize();
            p.run(); // the binding was checked against [2, 3]: the resize dropped it
            assertNotEquals(request.address(), chain.first().inputAddress);
            assertThrows(IllegalStateException.class, () -> {
                p.setInputShape(p.inputs().get(0), Shape.of(6));
                p.bindInput(0, request, DType.FLOAT32, Layout.NCHW);
            }, "binding needs final types");
            p.close();
        }
    }

    private static void assertMessage(String expected, Runnable bind) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bind::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
