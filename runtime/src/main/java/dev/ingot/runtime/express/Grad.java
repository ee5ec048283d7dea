package dev.ingot.runtime.express;

import dev.ingot.runtime.Attributes;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reverse-mode differentiation over expressions: builds the backward expressions of a loss with respect to
 * parameters by calling each op's {@link OpGrad} rule, from the loss back to the parameters. Only ops on a path
 * from the loss to a parameter are differentiated; such an op without a rule is an {@link IllegalStateException}
 * naming its op type (MNN skips it silently). Where an expression feeds several consumers, its gradients are summed
 * with op type {@value #ACCUMULATE_OP}.
 */
public final class Grad {
    /** The op type that sums gradient contributions. */
    public static final String ACCUMULATE_OP = "Add";

    private Grad() {
    }

    /**
     * The gradients of one differentiation.
     *
     * @param byParameter each parameter (in the order asked) to its gradient, an expression of the parameter's type
     * @param rulesUsed   the op types whose rules were called
     */
    public record Gradients(Map<Expr, Expr> byParameter, Set<String> rulesUsed) {
        /** Keeps unmodifiable copies, in the order given. */
        public Gradients {
            byParameter = Collections.unmodifiableMap(new LinkedHashMap<>(byParameter));
            rulesUsed = Collections.unmodifiableSet(new TreeSet<>(rulesUsed));
        }

        /**
         * The gradient of {@code parameter}.
         *
         * @param parameter a parameter the gradients were computed for
         * @return the gradient of {@code parameter}
         * @throws IllegalArgumentException when it was not asked for
         */
        public Expr of(Expr parameter) {
            Expr g = byParameter.get(parameter);
            if (g == null) {
                throw new IllegalArgumentException("parameter: expected one of " + byParameter.keySet() + ", got "
                        + parameter);
            }
            return g;
        }
    }

    /**
     * Gradients of a single-element {@code loss} with rules from {@link GradRegistry#standard()}.
     *
     * @param loss a single-element expression to minimise
     * @param parameters the trainable parameters to differentiate with respect to
     * @return the gradient of every parameter
     * @throws IllegalArgumentException when the loss has more than one element, or a parameter is not a leaf of
     *                                  the loss's graph that the loss depends on
     * @throws IllegalStateException    when an op on the path from the loss to a parameter has no rule
     */
    public static Gradients of(Expr loss, List<Expr> parameters) {
        if (loss == null || loss.type().elementCount() != 1) {
            throw new IllegalArgumentException("loss: expected an expression of one element, got " + loss);
        }
        float[] one = {1f};
        Expr seed = loss.graph().constant("d(" + loss.name() + ")", loss.type(), one);
        return of(loss, seed, parameters, GradRegistry.standard());
    }

    /**
     * Gradients of {@code sum(seed * output)}: the vector-Jacobian product of {@code output} with {@code seed}.
     *
     * @param seed the gradient flowing into {@code output}, of its type
     * @param output the expression to differentiate
     * @param parameters the trainable parameters to differentiate with respect to
     * @param registry the gradient rules
     * @return the gradient of every parameter
     * @throws IllegalArgumentException when the seed's type differs from the output's, or a parameter is not a leaf
     *                                  of the output's graph that the output depends on
     * @throws IllegalStateException    when an op on the path from the output to a parameter has no rule in
     *                                  {@code registry}, or a rule returns a gradient of the wrong type
     */
    public static Gradients of(Expr output, Expr seed, List<Expr> parameters, GradRegistry registry) {
        if (seed == null || !seed.type().equals(output.type()) || seed.graph() != output.graph()) {
            throw new IllegalArgumentException("seed: expected an expression of type " + output.type()
                    + " in the output's graph, got " + seed);
        }
        List<Node> order = reachable(output.node());
        Set<Node> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Expr p : parameters) {
            if (p == null || !p.isLeaf() || p.graph() != output.graph()) {
                throw new IllegalArgumentException("parameters: expected leaves of the output's graph, got " + p);
            }
            wanted.add(p.node());
        }
        Map<Node, Boolean> onPath = new IdentityHashMap<>();
        for (int i = order.size() - 1; i >= 0; i--) { // ascending ids: inputs first
            Node n = order.get(i);
            boolean depends = wanted.contains(n);
            for (Expr in : n.inputs) {
                depends |= onPath.get(in.node());
            }
            onPath.put(n, depends);
        }
        for (Expr p : parameters) {
            if (!onPath.containsKey(p.node())) {
                throw new IllegalArgumentException("parameters: " + p + " does not affect " + output);
            }
        }
        Map<Node, Expr[]> grads = new IdentityHashMap<>();
        grads.put(output.node(), new Expr[output.outputCount()]);
        grads.get(output.node())[output.outputIndex()] = seed;
        Set<String> used = new TreeSet<>();
        for (Node n : order) { // descending ids: consumers before producers
            Expr[] outGrads = grads.get(n);
            if (n.kind != Expr.Kind.OP || outGrads == null || !onPath.get(n)) {
                continue;
            }
            OpGrad rule = registry.rule(n.opType);
            used.add(n.opType);
            boolean[] needed = new boolean[n.inputs.size()];
            for (int i = 0; i < needed.length; i++) {
                needed[i] = onPath.get(n.inputs.get(i).node());
            }
            List<Expr> inGrads = rule.backward(n.outputs.get(0), Arrays.asList(outGrads.clone()), needed);
            check(n, inGrads, needed);
            for (int i = 0; i < needed.length; i++) {
                if (needed[i] && inGrads.get(i) != null) {
                    Expr in = n.inputs.get(i);
                    Expr[] slot = grads.computeIfAbsent(in.node(), k -> new Expr[k.outputs.size()]);
                    Expr previous = slot[in.outputIndex()];
                    slot[in.outputIndex()] = previous == null ? inGrads.get(i)
                            : output.graph().op(ACCUMULATE_OP, Attributes.empty(), previous, inGrads.get(i));
                }
            }
        }
        Map<Expr, Expr> result = new LinkedHashMap<>();
        for (Expr p : parameters) {
            Expr[] g = grads.get(p.node());
            // on a path, but every rule said it does not influence its op's outputs: the gradient is zero
            result.put(p, g != null ? g[0] : output.graph().constant("zero d(" + p.name() + ")", p.type(),
                    new float[Math.toIntExact(p.type().elementCount())]));
        }
        return new Gradients(result, used);
    }

    private static void check(Node n, List<Expr> inGrads, boolean[] needed) {
        if (inGrads == null || inGrads.size() != needed.length) {
            throw new IllegalStateException("gradient rule of " + n.opType + " returned "
                    + (inGrads == null ? "null" : inGrads.size() + " gradients") + ", expected " + needed.length);
        }
        for (int i = 0; i < needed.length; i++) {
            Expr g = inGrads.get(i);
            if (needed[i] && g != null && !g.type().equals(n.inputs.get(i).type())) {
                throw new IllegalStateException("gradient rule of " + n.opType + ": gradient of input " + i
                        + " must have type " + n.inputs.get(i).type() + ", got " + g);
            }
        }
    }

    /** Nodes reachable from {@code root}, by descending id (a reverse topological order). */
    static List<Node> reachable(Node... roots) {
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> todo = new ArrayDeque<>(Arrays.asList(roots));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (seen.add(n)) {
                for (Expr in : n.inputs) {
                    todo.push(in.node());
                }
            }
        }
        return seen.stream().sorted(Comparator.comparingInt((Node n) -> n.id).reversed()).toList();
    }
}
