package dev.ingot.ops.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.Grad;
import dev.ingot.runtime.express.GradRegistry;
import dev.ingot.runtime.express.Graph;
import dev.ingot.runtime.express.OpGrad;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Building backward expressions from the rules. */
class GradTest {
    private static final CpuBackend BACKEND = CpuBackend.builder().threads(1).build();

    @AfterAll
    static void close() {
        BACKEND.close();
    }

    private record Layer(Graph g, Expr x, Expr gamma, Expr beta, Expr y, Expr target, Expr loss) {
        static Layer create() {
            Graph g = new Graph(BACKEND);
            TensorType t = TensorType.float32(2, 3, 4, 4);
            Expr x = g.input("x", t);
            Expr gamma = g.parameter("gamma", TensorType.float32(3), new float[]{1, 1, 1});
            Expr beta = g.parameter("beta", TensorType.float32(3), new float[3]);
            Expr y = InstanceNormExpr.of(x, gamma, beta, 1e-5);
            Expr target = g.input("target", t);
            return new Layer(g, x, gamma, beta, y, target, MathOps.mseLoss(y, target));
        }
    }

    /** Op types of the op nodes reachable from {@code roots} (ids via identity). */
    private static List<Expr> opsReachable(List<Expr> roots) {
        Set<Expr> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Expr> ops = new ArrayList<>();
        Deque<Expr> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            Expr e = todo.pop().output(0);
            if (seen.add(e)) {
                if (!e.isLeaf()) {
                    ops.add(e);
                }
                todo.addAll(e.inputs());
            }
        }
        return ops;
    }

    @Test
    void instanceNormBackwardIsOneFusedOpReusingTheSavedStatistics() {
        Layer l = Layer.create();
        Grad.Gradients grads = Grad.of(l.loss(), List.of(l.gamma(), l.beta()));
        Expr dgamma = grads.of(l.gamma());
        Expr dbeta = grads.of(l.beta());
        assertEquals("InstanceNormGrad", dgamma.opType());
        assertEquals(1, dgamma.outputIndex());
        assertSame(dgamma.output(0), dbeta.output(0)); // one node gives both
        assertEquals(2, dbeta.outputIndex());
        List<Expr> in = dgamma.inputs();
        assertSame(l.x(), in.get(0));
        assertSame(l.y().output(1), in.get(2)); // the forward's saved mean
        assertSame(l.y().output(2), in.get(3)); // and invstd
        assertSame(l.gamma(), in.get(4));
        assertEquals(Set.of("InstanceNorm", "MseLoss"), grads.rulesUsed());

        // nothing elementwise stands in for the normalization's backward
        Set<String> types = new TreeSet<>();
        opsReachable(List.of(dgamma, dbeta)).forEach(e -> types.add(e.opType()));
        // the forward InstanceNorm (for the saved statistics), MSE's gradient and the fused backward: nothing else
        assertEquals(Set.of("InstanceNorm", "MseLossGrad", "InstanceNormGrad"), types, types::toString);
        long fused = opsReachable(List.of(dgamma, dbeta)).stream()
                .filter(e -> e.opType().equals("InstanceNormGrad")).count();
        assertEquals(1, fused);
    }

    @Test
    void anOpOnThePathWithoutARuleIsAnErrorNamingIt() {
        Layer l = Layer.create();
        List<OpGrad> withoutNorm = GradRegistry.standard().opTypes().stream()
                .filter(op -> !op.equals("InstanceNorm")).map(op -> GradRegistry.standard().rule(op)).toList();
        Expr seed = l.g().scalar(1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Grad.of(l.loss(), seed,
                List.of(l.gamma()), GradRegistry.of(withoutNorm)));
        assertTrue(e.getMessage().contains("'InstanceNorm'"), e.getMessage());

        // MseLossGrad has no rule of its own: differentiating through it fails, naming it
        Expr twice = MathOps.sum(MathOps.mseLossGrad(l.y(), l.target(), l.g().scalar(1)));
        e = assertThrows(IllegalStateException.class, () -> Grad.of(twice, List.of(l.beta())));
        assertTrue(e.getMessage().contains("'MseLossGrad'"), e.getMessage());
    }

    @Test
    void opsOffThePathNeedNoRule() {
        Layer l = Layer.create();
        // a term that does not depend on any parameter, built from an op without a rule
        Expr offPath = MathOps.sum(MathOps.mseLossGrad(l.x(), l.target(), l.g().scalar(1)));
        Expr loss = MathOps.add(l.loss(), offPath);
        Grad.Gradients grads = Grad.of(loss, List.of(l.beta()));
        assertEquals(Set.of("Add", "InstanceNorm", "MseLoss"), grads.rulesUsed());
    }

    @Test
    void gradientsOfSharedExpressionsAreSummed() {
        Graph g = new Graph(BACKEND);
        Expr w = g.parameter("w", TensorType.float32(4), new float[]{1, 2, 3, 4});
        Expr loss = MathOps.sum(MathOps.mul(w, w));
        Expr dw = Grad.of(loss, List.of(w)).of(w);
        assertEquals(Grad.ACCUMULATE_OP, dw.opType());
        assertEquals(w.type(), dw.type());
    }

    @Test
    void badRequestsAreRefused() {
        Layer l = Layer.create();
        assertThrows(IllegalArgumentException.class, () -> Grad.of(l.y(), List.of(l.gamma()))); // not one element
        Expr unused = l.g().parameter("unused", TensorType.float32(3), new float[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Grad.of(l.loss(), List.of(unused)));
        assertTrue(e.getMessage().contains("does not affect"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Grad.of(l.loss(), List.of(l.y()))); // not a leaf
        // a gradient into the saved statistics is refused by the rule, which only differentiates through y
        Expr throughMean = MathOps.sum(l.y().output(1));
        IllegalStateException s = assertThrows(IllegalStateException.class,
                () -> Grad.of(throughMean, List.of(l.gamma())));
        assertTrue(s.getMessage().contains("mean or invstd"), s.getMessage());
    }
}
