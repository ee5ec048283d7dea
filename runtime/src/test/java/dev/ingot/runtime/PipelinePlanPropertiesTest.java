package dev.ingot.runtime;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random programs of unary and binary ops over earlier tensors: whatever the shape of the graph, memory reuse
 * must never let an op overwrite a tensor that is still to be read. Values are small integers, so float32 sums are
 * exact and the results must equal the reference bit for bit.
 */
class PipelinePlanPropertiesTest {

    private static CpuBackend eager;
    private static CpuBackend deferred;

    @BeforeContainer
    static void open() {
        eager = CpuBackend.builder().memoryMode(MemoryMode.EAGER).threads(1).build();
        deferred = CpuBackend.builder().memoryMode(MemoryMode.DEFERRED).threads(1).build();
    }

    @AfterContainer
    static void close() {
        eager.close();
        deferred.close();
    }

    @Property(tries = 80)
    void reuseNeverCorruptsALiveTensor(@ForAll @IntRange(min = 2, max = 16) int ops,
                                       @ForAll @IntRange(min = 1, max = 40) int width,
                                       @ForAll boolean eagerMode, @ForAll long seed) {
        Random random = new Random(seed);
        CpuBackend backend = eagerMode ? eager : deferred;
        Pipeline.Builder b = Pipeline.builder(backend);
        List<Tensor> tensors = new ArrayList<>();
        List<float[]> reference = new ArrayList<>();
        List<Tensor> inputs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Tensor input = b.input(TensorType.float32(width));
            float[] values = new float[width];
            for (int k = 0; k < width; k++) {
                values[k] = random.nextInt(201) - 100;
            }
            inputs.add(input);
            tensors.add(input);
            reference.add(values);
        }
        for (int i = 0; i < ops; i++) {
            Tensor a = pick(tensors, random);
            float[] ra = reference.get(tensors.indexOf(a));
            float[] out = new float[width];
            Tensor t;
            if (random.nextBoolean()) {
                int c = random.nextInt(21) - 10;
                t = b.op(new TestOps.AddConstant(backend, c, random.nextInt(4) == 0), a);
                for (int k = 0; k < width; k++) {
                    out[k] = ra[k] + c;
                }
            } else {
                Tensor other = pick(tensors, random);
                float[] rb = reference.get(tensors.indexOf(other));
                t = b.op(new TestOps.Add(), a, other);
                for (int k = 0; k < width; k++) {
                    out[k] = ra[k] + rb[k];
                }
            }
            tensors.add(t);
            reference.add(out);
        }
        List<Integer> outputs = new ArrayList<>();
        outputs.add(tensors.size() - 1);
        for (int i = 2; i < tensors.size() - 1; i++) {
            if (random.nextInt(5) == 0) {
                outputs.add(i);
            }
        }
        for (int i : outputs) {
            b.output(tensors.get(i));
        }
        try (Pipeline pipeline = b.build()) {
            for (int i = 0; i < 2; i++) {
                inputs.get(i).copyFrom(reference.get(i));
            }
            pipeline.run();
            for (int i : outputs) {
                assertArrayEquals(reference.get(i), tensors.get(i).toFloatArray(), "tensor " + i);
            }
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(reference.get(i), inputs.get(i).toFloatArray(), "input " + i + " unchanged");
            }
            MemoryPlan plan = pipeline.plan();
            assertTrue(plan.lowerBoundBytes() <= plan.peakDynamicBytes(), plan.toString());
            assertTrue(plan.peakDynamicBytes() <= plan.totalDynamicBytes(), plan.toString());
        }
    }

    /** Mostly recent tensors, so chains and fan-outs both occur. */
    private static Tensor pick(List<Tensor> tensors, Random random) {
        int n = tensors.size();
        return random.nextInt(3) == 0 ? tensors.get(random.nextInt(n)) : tensors.get(n - 1 - random.nextInt(Math.min(3, n)));
    }
}
