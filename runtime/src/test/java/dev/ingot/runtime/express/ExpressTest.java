package dev.ingot.runtime.express;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.TensorType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The expression layer over tiny test ops, independent of the ops module. */
class ExpressTest {
    private static final CpuBackend BACKEND = CpuBackend.builder().threads(1).build();
    private static final OpRegistry OPS = OpRegistry.of(List.of(new TinyOps.ScaleCreator(),
            new TinyOps.SumAllCreator(), new TinyOps.SpreadCreator()));
    private static final GradRegistry RULES = GradRegistry.of(List.of(new TinyOps.ScaleGrad(1),
            new TinyOps.SumAllGrad()));
    private static final ReferenceEvaluator REFERENCE = ReferenceEvaluator.of(List.of(new TinyOps.ScaleReference(),
            new TinyOps.SumAllReference()));

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    private static Expr scale(Expr x, float k) {
        return x.graph().op("Scale", Attributes.of("k", k), x);
    }

    @Test
    void gradientsRunThroughAProgram() {
        Graph g = new Graph(BACKEND, OPS);
        Expr p = g.parameter("p", TensorType.float32(2, 3), new float[]{1, 2, 3, 4, 5, 6});
        Expr loss = g.op("SumAll", null, scale(scale(p, 2), -3));
        Grad.Gradients grads = Grad.of(loss, g.scalar(1), List.of(p), RULES);
        assertEquals(java.util.Set.of("Scale", "SumAll"), grads.rulesUsed());
        Expr dp = grads.of(p);
        assertEquals(p.type(), dp.type());
        try (Program program = Program.builder(BACKEND, OPS).output(loss, dp).build()) {
            program.run();
            assertArrayEquals(new float[]{-126}, program.tensor(loss).toFloatArray());
            assertArrayEquals(new float[]{-6, -6, -6, -6, -6, -6}, program.tensor(dp).toFloatArray());
            assertTrue(program.contains(p));
            assertThrows(IllegalArgumentException.class, () -> program.tensor(g.scalar(5)));
            assertTrue(program.plan().peakDynamicBytes() <= program.plan().totalDynamicBytes());
        }
        assertEquals(0, BACKEND.staticBytesInUse()); // the program freed its leaves
    }

    @Test
    void theCheckerPassesRightRulesAndCatchesWrongOnes() {
        Graph g = new Graph(BACKEND, OPS);
        Expr p = g.parameter("p", TensorType.float32(4), new float[]{1, -2, 3, 0.5f});
        Expr x = g.input("x", TensorType.float32(4));
        Expr out = scale(p, 1.5f); // four outputs: the checker projects them on random weights
        GradientCheck.Result ok = GradientCheck.check(BACKEND, OPS, RULES, REFERENCE, out, List.of(p),
                Map.of(), 1, 48, 1e-3);
        assertTrue(ok.passed(), ok::toString);
        assertTrue(ok.maxRelativeError() < 1e-5, ok::toString);
        assertEquals(4, ok.parameters().getFirst().checkedElements());

        GradRegistry wrong = GradRegistry.of(List.of(new TinyOps.ScaleGrad(1.01f), new TinyOps.SumAllGrad()));
        GradientCheck.Result bad = GradientCheck.check(BACKEND, OPS, wrong, REFERENCE, out, List.of(p), Map.of(),
                1, 48, 1e-3);
        assertFalse(bad.passed(), bad::toString);
        assertEquals(0.01, bad.maxRelativeError(), 1e-4); // a 1% error in the rule is seen as 1%
        assertEquals(Expr.Kind.INPUT, x.kind());
    }

    @Test
    void missingRulesAndRegistriesFailLoudly() {
        Graph g = new Graph(BACKEND, OPS);
        Expr p = g.parameter("p", TensorType.float32(3), new float[3]);
        Expr loss = g.op("SumAll", null, scale(p, 2));
        GradRegistry noScale = GradRegistry.of(List.of(new TinyOps.SumAllGrad()));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Grad.of(loss, g.scalar(1), List.of(p), noScale));
        assertTrue(e.getMessage().contains("'Scale'"), e.getMessage());
        // in this module no rules are provided: the standard registry says where they would come from
        e = assertThrows(IllegalStateException.class, () -> GradRegistry.standard().rule("Scale"));
        assertTrue(e.getMessage().contains("ops module"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> GradRegistry.of(List.of(new TinyOps.ScaleGrad(1), new TinyOps.ScaleGrad(2))));
        assertThrows(IllegalArgumentException.class, () -> ReferenceEvaluator.of(List.of(
                new TinyOps.ScaleReference(), new TinyOps.ScaleReference())));
        assertThrows(IllegalStateException.class,
                () -> ReferenceEvaluator.of(List.of()).evaluate(loss, Map.of()));
    }

    @Test
    void buildErrorsNameTheOpAndShapes() {
        Graph g = new Graph(BACKEND, OPS);
        Expr big = g.input("big", TensorType.float32(2, 3, 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.op("SumAll", null, big));
        assertTrue(e.getMessage().startsWith("cannot build SumAll") && e.getMessage().contains("[2, 3, 4]"),
                e.getMessage());
        Expr p = g.parameter("p", TensorType.float32(3), new float[3]);
        assertThrows(IllegalArgumentException.class, () -> Program.builder(BACKEND, OPS).output(scale(p, 2))
                .update("Scale", Attributes.empty(), List.of(p), List.of(big)));
        assertThrows(IllegalArgumentException.class, () -> new SgdMomentum(Double.NaN, 0.5));
        assertEquals(Attributes.of("lr", 0.5, "momentum", 0.25), new SgdMomentum(0.5, 0.25).attributes());
    }
}
