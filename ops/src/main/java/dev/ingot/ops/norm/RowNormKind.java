package dev.ingot.ops.norm;

import dev.ingot.ops.norm.kernel.RowLayout;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.TensorType;
import java.util.Arrays;
import java.util.Set;

/**
 * The norms that {@link RowNormExecution} and {@link RowNormGradExecution} run, and what differs between them:
 * attributes, which dimensions are normalized together, the shapes of parameters and statistics.
 */
enum RowNormKind {
    GROUP(GroupNorm.OP_TYPE, GroupNorm.GRAD_OP_TYPE, GroupNorm.DEFAULT_EPS, true,
            Set.of(InstanceNorm.EPS, GroupNorm.GROUPS, InstanceNorm.GAMMA, InstanceNorm.BETA)),
    LAYER(LayerNorm.OP_TYPE, LayerNorm.GRAD_OP_TYPE, LayerNorm.DEFAULT_EPS, true,
            Set.of(InstanceNorm.EPS, LayerNorm.AXIS, InstanceNorm.GAMMA, InstanceNorm.BETA)),
    RMS(RmsNorm.OP_TYPE, RmsNorm.GRAD_OP_TYPE, RmsNorm.DEFAULT_EPS, false,
            Set.of(InstanceNorm.EPS, LayerNorm.AXIS, InstanceNorm.GAMMA)),
    BATCH(BatchNorm.OP_TYPE, BatchNorm.GRAD_OP_TYPE, BatchNorm.DEFAULT_EPS, true,
            Set.of(InstanceNorm.EPS, BatchNorm.TRAINING, BatchNorm.MOMENTUM, InstanceNorm.GAMMA, InstanceNorm.BETA,
                    BatchNorm.RUNNING_STATS));

    final String op;
    final String gradOp;
    final double defaultEps;
    /** Whether the mean is subtracted (all but RMSNorm). */
    final boolean centred;
    /** The forward's attributes; the gradient op also takes savedStats and inPlace. */
    final Set<String> attributes;

    RowNormKind(String op, String gradOp, double defaultEps, boolean centred, Set<String> attributes) {
        this.op = op;
        this.gradOp = gradOp;
        this.defaultEps = defaultEps;
        this.centred = centred;
        this.attributes = attributes;
    }

    /** The gradient op's attributes. */
    Set<String> gradAttributes() {
        java.util.HashSet<String> all = new java.util.HashSet<>(attributes);
        all.add(InstanceNorm.SAVED_STATS);
        all.add(InstanceNorm.IN_PLACE);
        all.remove(BatchNorm.MOMENTUM);
        all.remove(BatchNorm.RUNNING_STATS);
        return Set.copyOf(all);
    }

    /** Whether the channel dimension is the normalized unit's parameter index (GroupNorm, BatchNorm). */
    boolean perChannel() {
        return this == GROUP || this == BATCH;
    }

    /** The checked integer attribute {@code groups}, or 0 for the other kinds. */
    int groups(Attributes a, NormChecks check) {
        if (this != GROUP) {
            return 0;
        }
        if (!a.names().contains(GroupNorm.GROUPS)) {
            throw check.fail("attribute " + GroupNorm.GROUPS, "an int >= 1 (required)", "none");
        }
        long g = a.getLong(GroupNorm.GROUPS, 0);
        if (g < 1 || g > Integer.MAX_VALUE) {
            throw check.fail("attribute " + GroupNorm.GROUPS, "an int >= 1", g);
        }
        return (int) g;
    }

    /** The attribute {@code axis}, or 0 for the per-channel kinds. */
    long axis(Attributes a) {
        return perChannel() ? 0 : a.getLong(LayerNorm.AXIS, -1);
    }

    /** The shape of x, checked for this kind; returns the normalized first axis (LayerNorm / RMSNorm) or 1. */
    int checkX(String name, TensorType x, long axis, int groups, NormChecks check) {
        check.float32(name, x);
        Shape s = x.shape();
        if (Arrays.stream(s.dims()).anyMatch(d -> d == 0)) {
            throw check.fail(name, "every dimension > 0", s);
        }
        if (perChannel()) {
            if (s.rank() < 2 || s.rank() > 5) {
                throw check.fail(name, "rank 2 to 5 ([N, C, *])", "rank " + s.rank() + " " + s);
            }
            if (x.layout() != Layout.NCHW && x.layout() != Layout.CHANNELS_LAST) {
                throw check.fail(name, "layout NCHW or CHANNELS_LAST", x.layout());
            }
            if (this == GROUP && s.dim(1) % groups != 0) {
                throw check.fail("attribute " + GroupNorm.GROUPS, "a divisor of C = " + s.dim(1), groups);
            }
            return 1;
        }
        if (x.layout() != Layout.NCHW && x.layout() != Layout.CHANNELS_LAST) {
            throw check.fail(name, "layout NCHW or CHANNELS_LAST", x.layout());
        }
        int rank = s.rank();
        if (axis < -rank || axis >= rank) {
            throw check.fail("attribute " + LayerNorm.AXIS, "an int in [" + -rank + ", " + (rank - 1) + "] for "
                    + s, axis);
        }
        int first = (int) (axis < 0 ? axis + rank : axis);
        if (x.layout() == Layout.CHANNELS_LAST && first > 1 && rank > 2) {
            // the rows would interleave with the channels: (n, c) rows of a channels-last x are strided by C
            throw check.fail(name, "NCHW, or CHANNELS_LAST only when the normalized dims include C (axis <= 1)",
                    "CHANNELS_LAST with axis " + axis + " of " + s);
        }
        return first;
    }

    /**
     * For LayerNorm / RMSNorm over a channels-last x (normalized dims [C, spatial...] or all of them): per element
     * of a row in memory order ([spatial..., C] per batch entry), the index of its parameter in [C, spatial...]
     * order; null where the two orders agree (NCHW, the per-channel kinds, rank 2, C or spatial of 1).
     */
    int[] paramOrder(TensorType x, int axis) {
        Shape s = x.shape();
        if (perChannel() || x.layout() != Layout.CHANNELS_LAST || s.rank() <= 2 || s.dim(1) == 1
                || x.spatialSize() == 1) {
            return null;
        }
        long params = 1;
        for (int i = axis; i < s.rank(); i++) {
            params *= s.dim(i);
        }
        int c = Math.toIntExact(s.dim(1));
        long spatial = x.spatialSize();
        long perEntry = c * spatial;
        int[] order = new int[Math.toIntExact(params)];
        for (int j = 0; j < order.length; j++) {
            long n = j / perEntry;
            long rem = j % perEntry;
            long at = rem / c;
            long ch = rem % c;
            order[j] = Math.toIntExact(n * perEntry + ch * spatial + at);
        }
        return order;
    }

    /** The shape of gamma / beta. */
    Shape paramShape(Shape x, int axis) {
        return perChannel() ? Shape.of(x.dim(1)) : Shape.of(Arrays.copyOfRange(x.dims(), axis, x.rank()));
    }

    /** The shape of the per-row statistics. */
    Shape statsShape(Shape x, int axis, int groups) {
        return switch (this) {
            case GROUP -> Shape.of(x.dim(0), groups);
            case BATCH -> Shape.of(x.dim(1));
            default -> axis == 0 ? Shape.of(1) : Shape.of(Arrays.copyOfRange(x.dims(), 0, axis));
        };
    }

    /** Where the rows of x lie; refuses shapes whose row count does not fit the scratch arrays. */
    RowLayout layout(TensorType x, int axis, int groups, NormChecks check) {
        Shape s = x.shape();
        boolean cl = x.layout() == Layout.CHANNELS_LAST;
        try {
            return switch (this) {
                case GROUP -> RowLayout.groups(Math.toIntExact(s.dim(0)), Math.toIntExact(s.dim(1)),
                        x.spatialSize(), groups, cl);
                case BATCH -> RowLayout.channels(Math.toIntExact(s.dim(0)), Math.toIntExact(s.dim(1)),
                        x.spatialSize(), cl);
                default -> {
                    long rows = 1;
                    for (int i = 0; i < axis; i++) {
                        rows = Math.multiplyExact(rows, s.dim(i));
                    }
                    yield RowLayout.trailing(Math.toIntExact(rows), x.elementCount() / rows);
                }
            };
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw check.fail("input x", "a shape whose rows and parameters fit int-indexed scratch", s);
        }
    }
}
