package dev.ingot.ops.norm;

import static dev.ingot.ops.norm.testing.Checks.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.ops.norm.testing.Reference;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.OpCreator;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The ops found by name (ServiceLoader) and run in a Pipeline, out of place and in place. */
class InstanceNormPipelineTest {

    @Test
    void bothOpsAreRegisteredThroughServiceLoader() {
        // OpRegistry.standard() is the runtime's ServiceLoader lookup of the op families' providers.
        Set<String> found = OpRegistry.standard().opTypes();
        assertTrue(found.containsAll(Set.of("InstanceNorm", "InstanceNormGrad")), "registry holds " + found);
    }

    @Test
    void forwardAndBackwardRunInAPipelineByName() {
        Problem p = Problem.random(5, 2, 3, 48, true, true, 1e-5);
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.CHANNELS_LAST}) {
            try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
                Pipeline.Builder b = Pipeline.builder(backend);
                TensorType xType = new TensorType(Shape.of(2, 3, 6, 8), DType.FLOAT32, layout);
                Tensor x = b.input(xType);
                Tensor dy = b.input(xType);
                Tensor gamma = b.parameter(TensorType.float32(3));
                Tensor beta = b.parameter(TensorType.float32(3));
                List<Tensor> fwd = b.ops("InstanceNorm", Attributes.of("eps", 1e-5, "gamma", true, "beta", true),
                        x, gamma, beta);
                List<Tensor> grad = b.ops("InstanceNormGrad", Attributes.of("gamma", true, "beta", true),
                        x, dy, fwd.get(1), fwd.get(2), gamma);
                b.output(fwd.get(0), grad.get(0), grad.get(1), grad.get(2));
                try (Pipeline pipeline = b.build()) {
                    x.copyFrom(p.x());
                    dy.copyFrom(p.dy());
                    gamma.copyFrom(p.gamma());
                    beta.copyFrom(p.beta());
                    pipeline.run();
                    Reference.Forward rf = p.referenceForward();
                    Reference.Backward rb = p.referenceBackward();
                    assertWithin("y " + layout, fwd.get(0).toFloatArray(), rf.y());
                    assertWithin("dx " + layout, grad.get(0).toFloatArray(), rb.dx());
                    assertWithin("dgamma " + layout, grad.get(1).toFloatArray(), rb.dgamma());
                    assertWithin("dbeta " + layout, grad.get(2).toFloatArray(), rb.dbeta());
                }
            }
        }
    }

    @Test
    void inPlaceGradientOverwritesDyThroughAPipelineUpdate() {
        Problem p = Problem.random(6, 2, 2, 30, true, false, 1e-5);
        try (CpuBackend backend = CpuBackend.builder().threads(2).build()) {
            Pipeline.Builder b = Pipeline.builder(backend);
            Tensor x = b.input(TensorType.float32(2, 2, 30));
            Tensor dy = b.parameter(TensorType.float32(2, 2, 30));
            Tensor gamma = b.parameter(TensorType.float32(2));
            Tensor dgamma = b.parameter(TensorType.float32(2));
            Execution grad = OpRegistry.standard().create("InstanceNormGrad",
                    Attributes.of("savedStats", false, "gamma", true, "inPlace", true), backend);
            b.update(grad, List.of(x, dy, gamma), List.of(dy, dgamma));
            try (Pipeline pipeline = b.build()) {
                x.copyFrom(p.x());
                dy.copyFrom(p.dy());
                gamma.copyFrom(p.gamma());
                pipeline.run();
                Reference.Backward rb = p.referenceBackward();
                assertWithin("dx written over dy", dy.toFloatArray(), rb.dx());
                assertWithin("dgamma", dgamma.toFloatArray(), rb.dgamma());
            }
        }
    }

    @Test
    void bitwiseIdenticalFor1To8ExecutorThreads() {
        // 20 000-element planes span two work units; N*C = 6 planes; both layouts.
        Problem p = Problem.random(7, 2, 3, 20_000, true, true, 1e-5);
        for (Layout layout : new Layout[] {Layout.NCHW, Layout.CHANNELS_LAST}) {
            float[][] first = null;
            for (int threads : new int[] {1, 2, 3, 8}) {
                float[][] out = run(p, layout, threads);
                if (first == null) {
                    first = out;
                } else {
                    for (int i = 0; i < out.length; i++) {
                        assertArrayEquals(first[i], out[i], "output " + i + ", " + layout + ", " + threads + " threads");
                    }
                }
            }
        }
    }

    private static float[][] run(Problem p, Layout layout, int threads) {
        Shape shape = Shape.of(p.n(), p.c(), p.m());
        try (CpuBackend backend = CpuBackend.builder().threads(threads).build();
             Tensor x = Tensor.copyOf(p.x(), shape, layout);
             Tensor dy = Tensor.copyOf(p.dy(), shape, layout);
             Tensor gamma = Tensor.copyOf(p.gamma(), Shape.of(p.c()));
             Tensor beta = Tensor.copyOf(p.beta(), Shape.of(p.c()));
             InstanceNorm.Forward f = InstanceNorm.forward(backend, x, gamma, beta, p.eps());
             InstanceNorm.Gradients saved = InstanceNorm.backward(backend, x, dy, f.mean(), f.invstd(), gamma,
                     true, p.eps());
             InstanceNorm.Gradients recomputed = InstanceNorm.backward(backend, x, dy, null, null, gamma, true,
                     p.eps())) {
            return new float[][] {f.y().toFloatArray(), f.mean().toFloatArray(), f.invstd().toFloatArray(),
                saved.dx().toFloatArray(), saved.dgamma().toFloatArray(), saved.dbeta().toFloatArray(),
                recomputed.dx().toFloatArray(), recomputed.dgamma().toFloatArray(),
                recomputed.dbeta().toFloatArray()};
        }
    }
}
