package dev.ingot.ops.grad;

import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.Expr;
import dev.ingot.runtime.express.Graph;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Random expression graphs for the tests: one per registered gradient rule, over random shapes and data. */
final class Cases {
    private Cases() {
    }

    /** A graph to check: its output, the leaves to differentiate, the values of its inputs. */
    record Case(Expr output, List<Expr> parameters, Map<Expr, float[]> inputs) {
    }

    static float[] values(SplittableRandom random, long count, double lo, double hi) {
        float[] v = new float[Math.toIntExact(count)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextDouble(lo, hi);
        }
        return v;
    }

    static long[] shape(SplittableRandom random, int minRank, int maxRank, int maxDim) {
        long[] dims = new long[random.nextInt(minRank, maxRank + 1)];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = random.nextInt(1, maxDim + 1);
        }
        return dims;
    }

    static Expr param(Graph g, String name, TensorType type, SplittableRandom random) {
        return g.parameter(name, type, values(random, type.elementCount(), -1, 1));
    }

    /** A graph whose output is {@code opType} applied to random parameters. */
    static Case of(Graph g, String opType, SplittableRandom random) {
        TensorType t = TensorType.float32(shape(random, 1, 4, 4));
        List<Expr> params = new ArrayList<>();
        Map<Expr, float[]> inputs = new LinkedHashMap<>();
        Expr out = switch (opType) {
            case MathOps.ADD, MathOps.SUB, MathOps.MUL -> {
                Expr a = param(g, "a", t, random);
                Expr b = param(g, "b", t, random);
                params.addAll(List.of(a, b));
                yield g.op(opType, null, a, b);
            }
            case MathOps.SQUARE -> {
                Expr a = param(g, "a", t, random);
                params.add(a);
                yield MathOps.square(a);
            }
            case MathOps.MUL_SCALAR -> {
                Expr a = param(g, "a", t, random);
                params.add(a);
                yield MathOps.mulScalar(a, random.nextDouble(-3, 3));
            }
            case MathOps.SUM, MathOps.MEAN -> {
                Expr a = param(g, "a", t, random);
                params.add(a);
                boolean whole = random.nextBoolean();
                int axis = random.nextInt(-t.shape().rank(), t.shape().rank());
                yield whole ? g.op(opType, null, a)
                        : g.op(opType, dev.ingot.runtime.Attributes.of(MathOps.AXIS, axis), a);
            }
            case MathOps.BROADCAST_TO -> {
                long[] dims = t.shape().dims();
                long[] small = dims.clone();
                for (int i = 0; i < small.length; i++) {
                    if (random.nextBoolean()) {
                        small[i] = 1;
                    }
                }
                boolean scalar = random.nextInt(4) == 0;
                Expr x = param(g, "x", TensorType.float32(scalar ? new long[]{1} : small), random);
                Expr like = g.input("like", t);
                params.add(x);
                inputs.put(like, values(random, t.elementCount(), -1, 1));
                yield MathOps.broadcastTo(x, like);
            }
            case MathOps.MSE_LOSS -> {
                Expr p = param(g, "pred", t, random);
                Expr q = param(g, "target", t, random);
                params.addAll(List.of(p, q));
                yield MathOps.mseLoss(p, q);
            }
            case "InstanceNorm" -> instanceNorm(g, random, params, inputs);
            case "GroupNorm", "LayerNorm", "RMSNorm", "BatchNorm" -> rowNorm(g, opType, random, params, inputs);
            default -> throw new IllegalArgumentException("opType: no test case for " + opType);
        };
        return new Case(out, params, inputs);
    }

    private static Expr instanceNorm(Graph g, SplittableRandom random, List<Expr> params, Map<Expr, float[]> inputs) {
        long[] dims = new long[random.nextInt(3, 6)];
        dims[0] = random.nextInt(1, 3);
        dims[1] = random.nextInt(1, 4);
        for (int i = 2; i < dims.length; i++) {
            dims[i] = random.nextInt(2, 5);
        }
        Layout layout = random.nextBoolean() ? Layout.NCHW : Layout.CHANNELS_LAST;
        TensorType xt = new TensorType(Shape.of(dims), dev.ingot.runtime.DType.FLOAT32, layout);
        TensorType ct = TensorType.float32(dims[1]);
        // x on a shifted scale: a mean far from zero must not hurt the gradient
        Expr x = g.parameter("x", xt, values(random, xt.elementCount(), 2, 4));
        Expr gamma = random.nextBoolean() ? g.parameter("gamma", ct, values(random, dims[1], 0.5, 2)) : null;
        Expr beta = random.nextBoolean() ? param(g, "beta", ct, random) : null;
        params.add(x);
        if (gamma != null) {
            params.add(gamma);
        }
        if (beta != null) {
            params.add(beta);
        }
        return InstanceNormExpr.of(x, gamma, beta, 1e-5);
    }

    /** GroupNorm, LayerNorm, RMSNorm or BatchNorm over a random shape, layout, affine and mode. */
    private static Expr rowNorm(Graph g, String op, SplittableRandom random, List<Expr> params,
                                Map<Expr, float[]> inputs) {
        boolean perChannel = op.equals("GroupNorm") || op.equals("BatchNorm");
        int groups = random.nextInt(1, 4);
        long[] dims = new long[random.nextInt(perChannel ? 2 : 1, 5)];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = random.nextInt(1, 4);
        }
        if (op.equals("GroupNorm")) {
            dims[1] = (long) groups * random.nextInt(1, 3);
        }
        if (op.equals("BatchNorm")) {
            dims[0] = random.nextInt(2, 4); // training needs two values per channel
        }
        Layout layout = perChannel && random.nextBoolean() ? Layout.CHANNELS_LAST : Layout.NCHW;
        TensorType xt = new TensorType(Shape.of(dims), dev.ingot.runtime.DType.FLOAT32, layout);
        int axis = perChannel ? 0 : random.nextInt(-dims.length, dims.length);
        int first = axis < 0 ? axis + dims.length : axis;
        TensorType pt = perChannel ? TensorType.float32(dims[1])
                : TensorType.float32(java.util.Arrays.copyOfRange(dims, first, dims.length));
        Expr x = g.parameter("x", xt, values(random, xt.elementCount(), 2, 4));
        params.add(x);
        Expr gamma = random.nextBoolean() ? g.parameter("gamma", pt, values(random, pt.elementCount(), 0.5, 2)) : null;
        Expr beta = !op.equals("RMSNorm") && random.nextBoolean() ? param(g, "beta", pt, random) : null;
        if (gamma != null) {
            params.add(gamma);
        }
        if (beta != null) {
            params.add(beta);
        }
        return switch (op) {
            case "GroupNorm" -> NormExpr.groupNorm(x, groups, gamma, beta, 1e-5);
            case "LayerNorm" -> NormExpr.layerNorm(x, axis, gamma, beta, 1e-5);
            case "RMSNorm" -> NormExpr.rmsNorm(x, axis, gamma, 1e-6);
            default -> {
                int mode = random.nextInt(3); // training, training with running statistics, inference
                Expr mean = null;
                Expr var = null;
                if (mode > 0) {
                    mean = g.input("runningMean", pt);
                    var = g.input("runningVar", pt);
                    inputs.put(mean, values(random, pt.elementCount(), 2, 4));
                    inputs.put(var, values(random, pt.elementCount(), 0.5, 1.5));
                }
                yield mode == 2 ? NormExpr.batchNormInference(x, gamma, beta, mean, var, 1e-5)
                        : NormExpr.batchNormTraining(x, gamma, beta, mean, var, 0.1, 1e-5);
            }
        };
    }
}
