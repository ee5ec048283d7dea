package dev.ingot.runtime;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One pipeline shared by several threads: refusals are exact, and no thread ever gets a wrong answer. */
class PipelineSharingTest {

    private static final int THREADS = 4;
    private static final int ELEMENTS = 4 * 256;
    private static final int RUNS = 20_000;

    /** out = in + 1, and counts how many executions are inside at once. */
    static final class CountingAddOne implements Execution {
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger maxInside = new AtomicInteger();

        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            MemorySegment in = inputs.get(0).segment();
            MemorySegment out = outputs.get(0).segment();
            for (long i = 0, n = inputs.get(0).elementCount(); i < n; i++) {
                out.setAtIndex(ValueLayout.JAVA_FLOAT, i, in.getAtIndex(ValueLayout.JAVA_FLOAT, i) + 1f);
            }
            inside.decrementAndGet();
        }
    }

    /** out = in, but waits inside its execution until the test lets it go. */
    static final class Gate implements Execution {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public List<TensorType> outputTypes(List<TensorType> inputs) {
            return List.of(inputs.get(0));
        }

        @Override
        public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        }

        @Override
        public void onExecute(List<Tensor> inputs, List<Tensor> outputs) {
            MemorySegment.copy(inputs.get(0).segment(), 0, outputs.get(0).segment(), 0, inputs.get(0).byteSize());
            entered.countDown();
            try {
                assertTrue(release.await(30, TimeUnit.SECONDS), "the test never let the gate open");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static CpuBackend backend() {
        return CpuBackend.builder().memoryMode(MemoryMode.DEFERRED).threads(1).build();
    }

    @Test
    void whileOneThreadRunsEveryOtherThreadsUseOfItsTensorsIsRefused() throws Exception {
        try (CpuBackend backend = backend();
             Tensor bias = Tensor.copyOf(new float[] {1, 2, 3, 4}, Shape.of(4))) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(4));
            Tensor w = b.parameter(TensorType.float32(4));
            Tensor external = b.parameter(bias);
            Gate gate = new Gate();
            Tensor y = b.op(gate, x);
            Tensor z = b.op(new TestOps.Add(), y, w);
            Tensor sum = b.op(new TestOps.Add(), z, external);
            b.output(sum);
            Tensor view = x.reshape(Shape.of(2, 2));
            ExecutorService runner = Executors.newSingleThreadExecutor();
            try (Pipeline pipeline = b.build()) {
                x.copyFrom(new float[] {10, 20, 30, 40});
                w.copyFrom(new float[] {0, 0, 0, 0});
                Future<?> run = runner.submit(pipeline::run);
                assertTrue(gate.entered.await(30, TimeUnit.SECONDS));

                assertThrows(IllegalStateException.class, () -> x.copyFrom(new float[4]), "input write");
                assertThrows(IllegalStateException.class, () -> x.copyFrom(new double[4]), "input write");
                assertThrows(IllegalStateException.class, () -> w.copyFrom(new float[4]), "parameter write");
                assertThrows(IllegalStateException.class, view::toFloatArray, "a view of an input");
                assertThrows(IllegalStateException.class, sum::toFloatArray, "output read");
                assertThrows(IllegalStateException.class, sum::toDoubleArray, "output read");
                assertThrows(IllegalStateException.class, y::segment, "intermediate");
                assertThrows(IllegalStateException.class, x::segment, "raw segment of an input");
                assertThrows(IllegalStateException.class, x::close, "closing an input");
                assertThrows(IllegalStateException.class, pipeline::run, "a second run");
                assertThrows(IllegalStateException.class, pipeline::resize, "a resize");
                assertThrows(IllegalStateException.class, () -> pipeline.setInputShape(x, Shape.of(8)));
                assertThrows(IllegalStateException.class, pipeline::close, "closing the pipeline");
                assertArrayEquals(new float[] {1, 2, 3, 4}, bias.toFloatArray(), "the caller's own tensor is free");

                gate.release.countDown();
                run.get(30, TimeUnit.SECONDS);
                assertArrayEquals(new float[] {11, 22, 33, 44}, sum.toFloatArray(), "the run was not disturbed");
                x.copyFrom(new float[] {1, 1, 1, 1});
                assertFalse(x.isClosed());
            } finally {
                gate.release.countDown();
                runner.shutdownNow();
            }
        }
    }

    @Test
    void concurrentRunsOfOnePipelineNeverOverlap() throws Exception {
        try (CpuBackend backend = backend()) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(64));
            List<CountingAddOne> ops = new ArrayList<>();
            Tensor t = x;
            for (int i = 0; i < 8; i++) {
                CountingAddOne op = new CountingAddOne();
                ops.add(op);
                t = b.op(op, t);
            }
            b.output(t);
            AtomicLong answered = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            try (Pipeline pipeline = b.build()) {
                runOnThreads(() -> {
                    for (int i = 0; i < RUNS; i++) {
                        try {
                            pipeline.run();
                            answered.incrementAndGet();
                        } catch (IllegalStateException e) {
                            refused.incrementAndGet();
                        }
                    }
                });
            }
            for (CountingAddOne op : ops) {
                assertEquals(1, op.maxInside.get(), "two runs were inside one op at once");
            }
            assertEquals(THREADS * (long) RUNS, answered.get() + refused.get());
            assertTrue(answered.get() > 0);
        }
    }

    /**
     * The scenario of a service sharing one pipeline: four threads write their own input, run and read the
     * output; two of them do it inside a hold, two without (misuse, racing the others). Every run answered inside
     * a hold gives exactly the answer for that thread's input; everything else is an IllegalStateException.
     */
    @Test
    void fourThreadsWritingInputsAndRunningNeverGetAWrongAnswerInsideAHold() throws Exception {
        try (CpuBackend backend = backend()) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(ELEMENTS));
            Tensor t = x;
            for (int i = 0; i < 8; i++) {
                t = b.op(new TestOps.AddConstant(backend, 0.25f * (i + 1), i % 2 == 0), t);
            }
            Tensor y = t;
            b.output(y);
            AtomicLong rightAnswers = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            AtomicInteger ids = new AtomicInteger();
            try (Pipeline pipeline = b.build()) {
                runOnThreads(() -> {
                    int id = ids.getAndIncrement();
                    boolean holds = id % 2 == 0;
                    for (int round = 0; round < 400; round++) {
                        float[] data = pattern(id, round);
                        try {
                            if (holds) {
                                float[] out;
                                try (Pipeline.Hold hold = pipeline.hold()) {
                                    x.copyFrom(data);
                                    pipeline.run();
                                    out = y.toFloatArray();
                                }
                                assertArrayEquals(expected(data), out, "thread " + id + " round " + round);
                                rightAnswers.incrementAndGet();
                            } else {
                                x.copyFrom(data);
                                pipeline.run();
                                y.toFloatArray();
                            }
                        } catch (IllegalStateException e) {
                            refused.incrementAndGet();
                        }
                    }
                });
            }
            assertTrue(rightAnswers.get() > 0, "no run was answered inside a hold");
            assertTrue(rightAnswers.get() + refused.get() >= 2 * 400, "every held round ends one way or the other");
        }
    }

    @Test
    void aHoldIsReentrantAndGivenBackOnlyByTheThreadAndHoldThatTookIt() throws Exception {
        try (CpuBackend backend = backend()) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(4));
            Tensor y = b.op(new TestOps.AddConstant(backend, 1f, false), x);
            b.output(y);
            ExecutorService other = Executors.newSingleThreadExecutor();
            try (Pipeline pipeline = b.build()) {
                Pipeline.Hold outer = pipeline.hold();
                assertTrue(pipeline.isHeldByCurrentThread());
                try (Pipeline.Hold inner = pipeline.hold()) {
                    x.copyFrom(new float[] {1, 2, 3, 4});
                    pipeline.run();
                    assertTrue(inner != outer);
                }
                assertTrue(pipeline.isHeldByCurrentThread(), "the inner hold did not give the pipeline back");
                assertThrows(IllegalStateException.class, () -> get(other.submit(pipeline::run)));
                assertThrows(IllegalStateException.class, () -> get(other.submit(pipeline::hold)));
                assertThrows(IllegalStateException.class, () -> get(other.submit(y::toFloatArray)));
                assertThrows(IllegalStateException.class, () -> get(other.submit(outer::close)),
                        "only the holding thread closes its hold");
                assertTrue(pipeline.isHeldByCurrentThread());
                assertArrayEquals(new float[] {2, 3, 4, 5}, y.toFloatArray());
                outer.close();
                outer.close();
                assertFalse(pipeline.isHeldByCurrentThread());
                assertArrayEquals(new float[] {2, 3, 4, 5}, get(other.submit(y::toFloatArray)));
                get(other.submit(() -> {
                    try (Pipeline.Hold hold = pipeline.hold()) {
                        x.copyFrom(new float[] {2, 3, 4, 5});
                        pipeline.run();
                    }
                    return null;
                }));
                assertArrayEquals(new float[] {3, 4, 5, 6}, y.toFloatArray(), "the other thread's held run");
            } finally {
                other.shutdownNow();
            }
        }
    }

    private static <T> T get(Future<T> future) throws Exception {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static float[] pattern(int id, int round) {
        float[] data = new float[ELEMENTS];
        for (int i = 0; i < data.length; i++) {
            data[i] = id * 1000f + round + i * 0.5f;
        }
        return data;
    }

    /** What the eight AddConstant ops give, in the same float order. */
    private static float[] expected(float[] data) {
        float[] out = data.clone();
        for (int op = 0; op < 8; op++) {
            for (int i = 0; i < out.length; i++) {
                out[i] = out[i] + 0.25f * (op + 1);
            }
        }
        return out;
    }

    static void runOnThreads(Runnable body) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                done.add(threads.submit(() -> {
                    start.await();
                    body.run();
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
