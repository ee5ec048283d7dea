package dev.ingot.ops.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.MemoryPlan;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.Grad;
import dev.ingot.runtime.express.GradientCheck;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.Program;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Where a normalization gradient's dy is read by that gradient alone, the compiled program writes dx over it: the
 * plan counts the op and the bytes not acquired, and the gradients still match finite differences.
 */
class InPlaceGradientTest {
    private static final CpuBackend BACKEND = CpuBackend.builder().threads(2).build();

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    private interface Norm {
        Expr apply(Expr x, Expr gamma, Expr beta);
    }

    private static void check(String name, long[] dims, long params, Norm norm) {
        SplittableRandom random = new SplittableRandom(name.hashCode());
        Graph g = new Graph(BACKEND);
        TensorType xt = TensorType.float32(dims);
        TensorType pt = TensorType.float32(params);
        Expr x = g.parameter("x", xt, Cases.values(random, xt.elementCount(), 2, 4));
        Expr gamma = g.parameter("gamma", pt, Cases.values(random, params, 0.5, 1.5));
        Expr beta = g.parameter("beta", pt, Cases.values(random, params, -1, 1));
        Expr target = g.input("target", xt);
        Expr y = norm.apply(x, gamma, beta);
        Expr loss = MathOps.mseLoss(y, target);
        List<Expr> parameters = new ArrayList<>(List.of(x, gamma));
        if (beta != null && !name.equals("RMSNorm")) {
            parameters.add(beta);
        }
        Map<Expr, float[]> inputs = Map.of(target, Cases.values(random, xt.elementCount(), -1, 1));
        GradientCheck.Result result = GradientCheck.check(BACKEND, loss, parameters, inputs, 5);
        assertTrue(result.passed(), () -> name + ": " + result.parameters());

        Grad.Gradients grads = Grad.of(loss, parameters);
        Program.Builder builder = Program.builder(BACKEND);
        for (Expr p : parameters) {
            builder.output(grads.of(p));
        }
        try (Program program = builder.build()) {
            MemoryPlan plan = program.plan();
            assertEquals(1, plan.overwritingOps(), () -> name + ": " + plan);
            assertEquals(xt.byteSize(), plan.overwrittenBytes(), () -> name + ": " + plan);
        }
    }

    @Test
    void everyNormGradientWritesDxOverADyThatDiesThere() {
        check("InstanceNorm", new long[] {2, 3, 4, 4}, 3, (x, g, b) -> InstanceNormExpr.of(x, g, b, 1e-5));
        check("GroupNorm", new long[] {2, 4, 3, 3}, 4, (x, g, b) -> NormExpr.groupNorm(x, 2, g, b, 1e-5));
        check("LayerNorm", new long[] {3, 4, 5}, 5, (x, g, b) -> NormExpr.layerNorm(x, -1, g, b, 1e-5));
        check("RMSNorm", new long[] {3, 8}, 8, (x, g, b) -> NormExpr.rmsNorm(x, -1, g, 1e-6));
        check("BatchNorm", new long[] {4, 3, 2, 2}, 3,
                (x, g, b) -> NormExpr.batchNormTraining(x, g, b, null, null, 0.1, 1e-5));
    }
}
