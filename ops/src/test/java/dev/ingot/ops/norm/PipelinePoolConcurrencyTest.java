package dev.ingot.ops.norm;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.PipelinePool;
import dev.ingot.runtime.Shape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Many callers through one {@link PipelinePool} of InstanceNorm forward + backward pipelines: every answer is the
 * single-threaded one, bit for bit.
 */
class PipelinePoolConcurrencyTest {

    /**
     * The scenario of the serving report: 4 threads, one pipeline (the pool plans one per shape), each request
     * writing its own data into the inputs, running, and reading the outputs. It once gave wrong answers (38 of
     * 237); through the pool every request waits for the pipeline and gets its own answer.
     */
    @Test
    void fourThreadsSharingOnePipelineNeverGetAWrongAnswer() throws Exception {
        Shape shape = Shape.of(1, 16, 14, 14);
        int threads = 4;
        int requestsPerThread = 50;
        try (CpuBackend backend = CpuBackend.builder().threads(2).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelineWarmUpTest::forwardAndBackward)
                     .maxPerShape(1).timeout(Duration.ofSeconds(60)).build()) {
            float[][][] answers = new float[threads][][];
            float[][][] requests = new float[threads][][];
            for (int t = 0; t < threads; t++) {
                requests[t] = request(shape, t);
                answers[t] = serve(pool, shape, requests[t]); // one at a time: the reference
            }
            AtomicInteger wrong = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> callers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int caller = t;
                callers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await(60, TimeUnit.SECONDS);
                        for (int r = 0; r < requestsPerThread; r++) {
                            float[][] got = serve(pool, shape, requests[caller]);
                            if (!Arrays.deepEquals(got, answers[caller])) {
                                wrong.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread caller : callers) {
                caller.join(120_000);
            }
            assertNull(failure.get());
            assertEquals(0, wrong.get(), "wrong answers");
            assertEquals(1, pool.stats().planned(), "all requests went through one pipeline");
            assertEquals(threads + threads * requestsPerThread, pool.stats().acquires());
        }
    }

    /** 8 threads, random shapes, a pool small enough to evict and re-plan: outputs equal single-threaded runs. */
    @Property(tries = 8)
    void eightThreadsOnRandomShapesGetTheSingleThreadedAnswers(@ForAll long seed,
                                                               @ForAll @IntRange(min = 2, max = 5) int shapes)
            throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        Shape[] choices = new Shape[shapes];
        for (int i = 0; i < shapes; i++) {
            choices[i] = random.nextBoolean()
                    ? Shape.of(1 + random.nextInt(2), 1 + random.nextInt(4), 1 + random.nextInt(40))
                    : Shape.of(1 + random.nextInt(2), 1 + random.nextInt(4), 1 + random.nextInt(9), 1 + random.nextInt(9));
        }
        int threads = 8;
        int requestsPerThread = 12;
        float[][][][] requests = new float[threads][requestsPerThread][][];
        int[][] shapeOf = new int[threads][requestsPerThread];
        float[][][][] answers = new float[threads][requestsPerThread][][];
        try (CpuBackend single = CpuBackend.builder().threads(1).build()) {
            for (int t = 0; t < threads; t++) {
                for (int r = 0; r < requestsPerThread; r++) {
                    shapeOf[t][r] = random.nextInt(shapes);
                    Shape shape = choices[shapeOf[t][r]];
                    requests[t][r] = request(shape, random.nextLong());
                    try (Pipeline alone = PipelineWarmUpTest.forwardAndBackward(single, shape)) {
                        answers[t][r] = run(alone, requests[t][r]);
                    }
                }
            }
        }
        AtomicInteger wrong = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (CpuBackend backend = CpuBackend.builder().threads(2).build();
             PipelinePool pool = PipelinePool.builder(backend, PipelineWarmUpTest::forwardAndBackward)
                     .maxPerShape(2).maxPipelines(3).timeout(Duration.ofSeconds(60)).build()) {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> callers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int caller = t;
                callers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await(60, TimeUnit.SECONDS);
                        for (int r = 0; r < requestsPerThread; r++) {
                            float[][] got = serve(pool, choices[shapeOf[caller][r]], requests[caller][r]);
                            if (!Arrays.deepEquals(got, answers[caller][r])) {
                                wrong.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread caller : callers) {
                caller.join(120_000);
            }
            assertNull(failure.get());
            assertEquals(0, wrong.get(), "answers that differ from the single-threaded run");
            assertEquals(0, pool.stats().leased());
        }
    }

    /** One request: lease, write inputs, run, read outputs, give back. */
    private static float[][] serve(PipelinePool pool, Shape shape, float[][] inputs) {
        try (PipelinePool.Lease lease = pool.acquire(shape)) {
            return run(lease.pipeline(), inputs);
        }
    }

    private static float[][] run(Pipeline pipeline, float[][] inputs) {
        pipeline.inputs().get(0).copyFrom(inputs[0]);
        pipeline.inputs().get(1).copyFrom(inputs[1]);
        pipeline.run();
        return new float[][]{pipeline.outputs().get(0).toFloatArray(), pipeline.outputs().get(1).toFloatArray()};
    }

    /** x and dy for one request. */
    private static float[][] request(Shape shape, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = (int) shape.elementCount();
        float[] x = new float[n];
        float[] dy = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * 2 + seed % 7);
            dy[i] = (float) random.nextGaussian();
        }
        return new float[][]{x, dy};
    }
}
