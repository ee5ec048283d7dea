package dev.ingot.ops.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Eight threads, each with its own InstanceNorm forward + backward pipeline over its own random shape, all on one
 * backend and one executor: every output is bitwise the one the same pipeline gave when it ran alone.
 */
class PipelineConcurrencyPropertiesTest {

    private static final int THREADS = 8;
    private static final int ROUNDS = 15;

    /** One pipeline of the property, with its inputs and the outputs of its single-threaded run. */
    private static final class Case {
        final Pipeline pipeline;
        final Tensor x;
        final Tensor dy;
        final List<Tensor> outputs;
        final float[] xData;
        final float[] dyData;
        final List<float[]> alone = new ArrayList<>();

        Case(CpuBackend backend, Shape shape, long seed) {
            Pipeline.Builder b = Pipeline.builder(backend);
            x = b.input(new TensorType(shape, dev.ingot.runtime.DType.FLOAT32, dev.ingot.runtime.Layout.NCHW));
            dy = b.input(x.type());
            Tensor gamma = b.parameter(TensorType.float32(shape.dim(1)));
            Tensor beta = b.parameter(TensorType.float32(shape.dim(1)));
            List<Tensor> fwd = b.ops("InstanceNorm", Attributes.of("eps", 1e-5, "gamma", true, "beta", true),
                    x, gamma, beta);
            List<Tensor> grad = b.ops("InstanceNormGrad", Attributes.of("gamma", true, "beta", true),
                    x, dy, fwd.get(1), fwd.get(2), gamma);
            b.output(fwd.get(0), grad.get(0), grad.get(1), grad.get(2));
            outputs = List.of(fwd.get(0), grad.get(0), grad.get(1), grad.get(2));
            Random random = new Random(seed);
            xData = randoms(random, (int) shape.elementCount(), 3f);
            dyData = randoms(random, (int) shape.elementCount(), 1f);
            gamma.copyFrom(randoms(random, (int) shape.dim(1), 1f));
            beta.copyFrom(randoms(random, (int) shape.dim(1), 1f));
            pipeline = b.build();
        }

        /** Writes the inputs, runs, and returns the outputs, all inside one hold. */
        List<float[]> runOnce() {
            try (Pipeline.Hold hold = pipeline.hold()) {
                x.copyFrom(xData);
                dy.copyFrom(dyData);
                pipeline.run();
                List<float[]> out = new ArrayList<>(outputs.size());
                for (Tensor t : outputs) {
                    out.add(t.toFloatArray());
                }
                return out;
            }
        }
    }

    @Provide
    Arbitrary<List<Shape>> shapes() {
        Arbitrary<Shape> shape = Combinators.combine(Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 8), Arbitraries.integers().between(1, 24),
                Arbitraries.integers().between(1, 24)).as((n, c, h, w) -> Shape.of(n, c, h, w));
        return shape.list().ofSize(THREADS);
    }

    @Property(tries = 8)
    void eightThreadsOnOwnPipelinesGiveBitwiseTheSingleThreadedOutputs(@ForAll("shapes") List<Shape> shapes,
                                                                       @ForAll long seed) throws Exception {
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            List<Case> cases = new ArrayList<>();
            try {
                for (int i = 0; i < THREADS; i++) {
                    cases.add(new Case(backend, shapes.get(i), seed + i));
                }
                for (Case c : cases) {
                    c.alone.addAll(c.runOnce());
                }
                ExecutorService threads = Executors.newFixedThreadPool(THREADS);
                try {
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<?>> done = new ArrayList<>();
                    for (Case c : cases) {
                        done.add(threads.submit(() -> {
                            start.await();
                            for (int round = 0; round < ROUNDS; round++) {
                                List<float[]> out = c.runOnce();
                                for (int k = 0; k < out.size(); k++) {
                                    assertArrayEquals(c.alone.get(k), out.get(k),
                                            "output " + k + " of " + c.x.shape() + ", round " + round);
                                }
                            }
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
            } finally {
                cases.forEach(c -> c.pipeline.close());
            }
        }
    }

    private static float[] randoms(Random random, int n, float scale) {
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) (random.nextGaussian() * scale);
        }
        return data;
    }
}
