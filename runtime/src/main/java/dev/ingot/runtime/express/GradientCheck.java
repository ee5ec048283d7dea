package dev.ingot.runtime.express;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.OpRegistry;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;

/**
 * Checks gradient rules against central finite differences. For an output expression and parameters, with a fixed
 * random projection {@code w} (or 1 for a single-element output), the loss is {@code L = sum(w * output)}:
 * <ul>
 *   <li>the <b>analytic</b> gradient comes from the rules ({@link Grad}) compiled into a {@link Program} and run
 *       through the real float32 ops;</li>
 *   <li>the <b>numeric</b> gradient comes from the float64 {@link ReferenceEvaluator}: {@code (L(p + h) - L(p - h))
 *       / 2h} per checked element, with {@code h = 1e-5 * max(1, |p|)}.</li>
 * </ul>
 * Both see the same float32 values of the leaves, so they differentiate the same function.
 *
 * <p><b>Error and tolerance.</b> Per parameter, the error is {@code max |analytic - numeric|} over the checked
 * elements divided by {@code max |numeric|} (floored at 1e-12): relative to the gradient's size, so elements whose
 * true gradient is near zero do not blow it up. In double the finite difference is accurate to about
 * {@code h^2 * |L'''| + 1e-16 * |L| / h}, roughly 1e-10 relative for data of unit scale. The float32 path rounds
 * each value to 2^-24 (6e-8) and accumulates in double, so its error stays near 1e-6 relative even through
 * normalization (whose invstd amplifies absolute errors by 1/std). {@value #DEFAULT_TOLERANCE} therefore leaves
 * two to three orders of magnitude for rounding, while a wrong rule (a missing factor, a wrong sign, a dropped
 * term, a wrong axis) errs by O(1).
 */
public final class GradientCheck {
    /** Default largest accepted relative error. */
    public static final double DEFAULT_TOLERANCE = 1e-3;
    /** Default number of elements checked per parameter (all when fewer); each costs two reference runs. */
    public static final int DEFAULT_ELEMENTS = 48;

    private GradientCheck() {
    }

    /**
     * The check of one parameter.
     *
     * @param parameter       the leaf
     * @param checkedElements how many of its elements were checked
     * @param maxAbsError     the largest |analytic - numeric| over them
     * @param scale           the largest |numeric| over them
     */
    public record ParameterError(Expr parameter, int checkedElements, double maxAbsError, double scale) {
        /**
         * maxAbsError / max(scale, 1e-12).
         *
         * @return the relative error
         */
        public double relativeError() {
            return maxAbsError / Math.max(scale, 1e-12);
        }
    }

    /**
     * The outcome of a check.
     *
     * @param parameters   one entry per parameter
     * @param rulesChecked the op types whose rules were on the path (and so checked)
     * @param tolerance    the largest accepted relative error
     */
    public record Result(List<ParameterError> parameters, Set<String> rulesChecked, double tolerance) {
        /** Keeps unmodifiable copies. */
        public Result {
            parameters = List.copyOf(parameters);
            rulesChecked = Set.copyOf(rulesChecked);
        }

        /**
         * The largest relative error over the parameters.
         *
         * @return the largest relative error
         */
        public double maxRelativeError() {
            return parameters.stream().mapToDouble(ParameterError::relativeError).max().orElse(0);
        }

        /**
         * True when every parameter's relative error is within the tolerance (NaN fails).
         *
         * @return true when every parameter's relative error is within the tolerance (NaN fails)
         */
        public boolean passed() {
            return parameters.stream().allMatch(p -> p.relativeError() <= tolerance);
        }
    }

    /**
     * Checks with the standard registries, {@link #DEFAULT_ELEMENTS} and {@link #DEFAULT_TOLERANCE}.
     *
     * @param inputs values of the graph's INPUT leaves (logical order); other leaves use their initial values
     * @param backend the backend that runs the ops and owns their memory
     * @param output the expression whose gradient is checked
     * @param parameters the trainable parameters to differentiate with respect to
     * @param seed the vector the Jacobian is multiplied with, shaped like {@code output}
     * @return the errors per parameter
     */
    public static Result check(CpuBackend backend, Expr output, List<Expr> parameters, Map<Expr, float[]> inputs,
                               long seed) {
        return check(backend, OpRegistry.standard(), GradRegistry.standard(), ReferenceEvaluator.standard(), output,
                parameters, inputs, seed, DEFAULT_ELEMENTS, DEFAULT_TOLERANCE);
    }

    /**
     * Checks with explicit registries and limits.
     *
     * @param elements  largest number of elements checked per parameter (a random subset when it has more)
     * @param tolerance largest accepted relative error
     * @param backend the backend that runs the ops and owns their memory
     * @param ops where op types are looked up
     * @param rules the gradient rules
     * @param reference the float64 references of the ops
     * @param output the expression whose gradient is checked
     * @param parameters the trainable parameters to differentiate with respect to
     * @param inputs values of the graph's inputs, in logical order
     * @param seed the vector the Jacobian is multiplied with, shaped like {@code output}
     * @return the errors per parameter
     * @throws IllegalStateException when an op on the path has no rule or no reference
     */
    public static Result check(CpuBackend backend, OpRegistry ops, GradRegistry rules, ReferenceEvaluator reference,
                               Expr output, List<Expr> parameters, Map<Expr, float[]> inputs, long seed,
                               int elements, double tolerance) {
        if (elements < 1) {
            throw new IllegalArgumentException("elements: expected >= 1, got " + elements);
        }
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = projection(output, random);
        Expr seedExpr = output.graph().constant("check seed", output.type(), w);
        Grad.Gradients grads = Grad.of(output, seedExpr, parameters, rules);
        Map<Expr, double[]> analytic = analytic(backend, ops, grads, inputs);

        Map<Expr, double[]> leaves = new IdentityHashMap<>();
        inputs.forEach((e, v) -> leaves.put(e, widen(v)));
        for (Expr p : parameters) {
            leaves.computeIfAbsent(p, k -> widen(k.initialValues()));
        }
        List<ParameterError> errors = new ArrayList<>();
        for (Expr p : parameters) {
            double[] values = leaves.get(p);
            double maxAbs = 0;
            double scale = 0;
            int[] picked = pick(values.length, elements, random);
            for (int i : picked) {
                double original = values[i];
                double h = 1e-5 * Math.max(1, Math.abs(original));
                values[i] = original + h;
                double plus = dot(w, reference.evaluate(output, leaves));
                values[i] = original - h;
                double minus = dot(w, reference.evaluate(output, leaves));
                values[i] = original;
                double numeric = (plus - minus) / (2 * h);
                double diff = Math.abs(analytic.get(p)[i] - numeric);
                maxAbs = Double.isNaN(diff) ? Double.NaN : Math.max(maxAbs, diff);
                scale = Math.max(scale, Math.abs(numeric));
            }
            errors.add(new ParameterError(p, picked.length, maxAbs, scale));
        }
        return new Result(errors, grads.rulesUsed(), tolerance);
    }

    private static Map<Expr, double[]> analytic(CpuBackend backend, OpRegistry ops, Grad.Gradients grads,
                                                Map<Expr, float[]> inputs) {
        Program.Builder builder = Program.builder(backend, ops);
        grads.byParameter().values().forEach(builder::output);
        try (Program program = builder.build()) {
            inputs.forEach((e, v) -> {
                if (program.contains(e)) { // the backward may not need every input
                    program.tensor(e).copyFrom(v);
                }
            });
            program.run();
            Map<Expr, double[]> result = new IdentityHashMap<>();
            grads.byParameter().forEach((p, g) -> result.put(p, program.tensor(g).toDoubleArray()));
            return result;
        }
    }

    private static float[] projection(Expr output, SplittableRandom random) {
        float[] w = new float[Math.toIntExact(output.type().elementCount())];
        if (w.length == 1) {
            w[0] = 1;
            return w;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextDouble(-1, 1);
        }
        return w;
    }

    private static int[] pick(int length, int elements, SplittableRandom random) {
        if (length <= elements) {
            int[] all = new int[length];
            for (int i = 0; i < length; i++) {
                all[i] = i;
            }
            return all;
        }
        Set<Integer> chosen = new LinkedHashSet<>();
        while (chosen.size() < elements) {
            chosen.add(random.nextInt(length));
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double dot(float[] w, double[] v) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            sum += w[i] * v[i];
        }
        return sum;
    }

    private static double[] widen(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
