package dev.ingot.ops.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.GradRegistry;
import dev.ingot.runtime.express.GradientCheck;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.OpGrad;
import dev.ingot.runtime.express.ReferenceEvaluator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.junit.jupiter.api.Test;

/** Every registered gradient rule against central finite differences of the float64 reference. */
class GradientCheckTest {
    private static final CpuBackend BACKEND = CpuBackend.builder().threads(2).build();

    @AfterContainer
    static void closeBackend() {
        BACKEND.close();
    }

    @Provide
    Arbitrary<String> rules() {
        return Arbitraries.of(List.copyOf(GradRegistry.standard().opTypes()));
    }

    @Property(tries = 200)
    void everyRuleMatchesFiniteDifferences(@ForAll("rules") String opType, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Graph g = new Graph(BACKEND);
        Cases.Case c = Cases.of(g, opType, random);
        GradientCheck.Result result = GradientCheck.check(BACKEND, c.output(), c.parameters(), c.inputs(), seed);
        assertTrue(result.rulesChecked().contains(opType), () -> "rule not exercised: " + result);
        assertTrue(result.passed(), () -> opType + " " + c.output() + ": " + result.parameters());
    }

    @Test
    void everyRegisteredRuleHasACaseAndAReference() {
        for (String opType : GradRegistry.standard().opTypes()) {
            Graph g = new Graph(BACKEND);
            Cases.Case c = Cases.of(g, opType, new SplittableRandom(7));
            assertEquals(opType, c.output().opType());
            assertTrue(ReferenceEvaluator.standard().opTypes().contains(opType), opType);
        }
        assertTrue(GradRegistry.standard().opTypes().containsAll(List.of("InstanceNorm", MathOps.ADD, MathOps.SUB,
                MathOps.MUL, MathOps.SQUARE, MathOps.SUM, MathOps.MEAN, MathOps.MSE_LOSS)));
    }

    @Test
    void aChainOfOpsIsCheckedThroughEveryRuleOnItsPath() {
        SplittableRandom random = new SplittableRandom(11);
        Graph g = new Graph(BACKEND);
        TensorType t = TensorType.float32(2, 3, 4, 4);
        Expr x = g.parameter("x", t, Cases.values(random, t.elementCount(), -1, 1));
        Expr gamma = g.parameter("gamma", TensorType.float32(3), Cases.values(random, 3, 0.5, 1.5));
        Expr beta = g.parameter("beta", TensorType.float32(3), Cases.values(random, 3, -1, 1));
        Expr y = InstanceNormExpr.of(x, gamma, beta, 1e-5);
        Expr target = g.input("target", t);
        // x feeds two consumers: its gradient is accumulated with Add
        Expr loss = MathOps.add(MathOps.mseLoss(MathOps.mul(y, MathOps.square(x)), target),
                MathOps.mean(MathOps.sum(MathOps.sub(y, x), 1)));
        GradientCheck.Result result = GradientCheck.check(BACKEND, loss, List.of(x, gamma, beta),
                Map.of(target, Cases.values(random, t.elementCount(), -1, 1)), 3);
        assertTrue(result.passed(), () -> result.parameters().toString());
        assertTrue(result.rulesChecked().containsAll(List.of("InstanceNorm", MathOps.ADD, MathOps.MSE_LOSS,
                MathOps.MUL, MathOps.SQUARE, MathOps.MEAN, MathOps.SUM, MathOps.SUB)), result.rulesChecked()::toString);
    }

    @Test
    void aWrongRuleIsCaught() {
        // Square's rule without its factor 2: the checker must refuse it
        OpGrad wrongSquare = new OpGrad() {
            @Override
            public String opType() {
                return MathOps.SQUARE;
            }

            @Override
            public List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed) {
                return List.of(MathOps.mul(outputGrads.get(0), node.inputs().get(0)));
            }
        };
        List<OpGrad> rules = new ArrayList<>();
        GradRegistry.standard().opTypes().stream().filter(op -> !op.equals(MathOps.SQUARE))
                .forEach(op -> rules.add(GradRegistry.standard().rule(op)));
        rules.add(wrongSquare);
        Graph g = new Graph(BACKEND);
        SplittableRandom random = new SplittableRandom(5);
        Expr a = Cases.param(g, "a", TensorType.float32(3, 4), random);
        GradientCheck.Result result = GradientCheck.check(BACKEND, OpRegistry.standard(), GradRegistry.of(rules),
                ReferenceEvaluator.standard(), MathOps.square(a), List.of(a), Map.of(), 5, 48, 1e-3);
        assertFalse(result.passed());
        assertEquals(0.5, result.maxRelativeError(), 0.01); // half of the true gradient is missing
    }
}
