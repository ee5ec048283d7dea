package dev.ingot.ops.norm;

import static dev.ingot.ops.norm.testing.Checks.assertWithin;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.ingot.ops.norm.testing.GoldenCase;
import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every golden case from PyTorch (discovered from the resources) through the public API, NCHW and channels-last,
 * saved and recomputed statistics, out of place and in place: every output within 1e-5 normwise.
 */
class InstanceNormGoldenTest {
    private static CpuBackend backend;

    @BeforeAll
    static void open() {
        backend = CpuBackend.builder().threads(2).build();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @TestFactory
    List<DynamicTest> everyGoldenCase() throws Exception {
        List<GoldenCase> cases = GoldenCase.all();
        assertFalse(cases.isEmpty(), "golden cases found");
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCase gc : cases) {
            for (Layout layout : new Layout[] {Layout.NCHW, Layout.CHANNELS_LAST}) {
                tests.add(DynamicTest.dynamicTest(gc.name() + " " + layout, () -> check(gc, layout)));
            }
        }
        return tests;
    }

    private static void check(GoldenCase gc, Layout layout) {
        Problem p = gc.problem();
        Shape shape = Shape.of(gc.shape());
        String name = gc.name() + " " + layout;
        try (Tensor x = Tensor.copyOf(p.x(), shape, layout);
             Tensor gamma = p.gamma() == null ? null : Tensor.copyOf(p.gamma(), Shape.of(p.c()));
             Tensor beta = p.beta() == null ? null : Tensor.copyOf(p.beta(), Shape.of(p.c()));
             InstanceNorm.Forward out = InstanceNorm.forward(backend, x, gamma, beta, gc.eps())) {
            assertWithin(name + " y", out.y().toFloatArray(), gc.y());
            assertWithin(name + " mean", out.mean().toFloatArray(), gc.mean());
            assertWithin(name + " invstd", out.invstd().toFloatArray(), gc.invstd());
            for (boolean saved : new boolean[] {true, false}) {
                String mode = name + (saved ? " saved stats" : " recomputed stats");
                try (Tensor dy = Tensor.copyOf(p.dy(), shape, layout);
                     InstanceNorm.Gradients g = InstanceNorm.backward(backend, x, dy,
                             saved ? out.mean() : null, saved ? out.invstd() : null, gamma, beta != null,
                             gc.eps())) {
                    check(mode, gc, g.dx(), g.dgamma(), g.dbeta());
                }
                try (Tensor dy = Tensor.copyOf(p.dy(), shape, layout);
                     Tensor dgamma = gamma == null ? null : Tensor.copyOf(new float[p.c()], Shape.of(p.c()));
                     Tensor dbeta = beta == null ? null : Tensor.copyOf(new float[p.c()], Shape.of(p.c()))) {
                    InstanceNorm.backwardInto(backend, x, dy, saved ? out.mean() : null,
                            saved ? out.invstd() : null, gamma, gc.eps(), dy, dgamma, dbeta);
                    check(mode + " in place", gc, dy, dgamma, dbeta);
                }
            }
        }
    }

    private static void check(String mode, GoldenCase gc, Tensor dx, Tensor dgamma, Tensor dbeta) {
        assertWithin(mode + " dx", dx.toFloatArray(), gc.dx());
        if (gc.dgamma() != null) {
            assertWithin(mode + " dgamma", dgamma.toFloatArray(), gc.dgamma());
        }
        if (gc.dbeta() != null) {
            assertWithin(mode + " dbeta", dbeta.toFloatArray(), gc.dbeta());
        }
    }
}
