package dev.ingot.ops.grad;

import dev.ingot.ops.norm.BatchNorm;
import dev.ingot.ops.norm.GroupNorm;
import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.ops.norm.LayerNorm;
import dev.ingot.ops.norm.RmsNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.ReferenceOp;
import java.util.ArrayList;
import java.util.List;

/**
 * Float64 reference of GroupNorm, LayerNorm, RMSNorm or BatchNorm over the logical order: each row's element and
 * parameter indices are listed, then mean, biased variance (two passes) and y are computed plainly. Written for
 * clarity, independent of the kernels. Stateless and thread-safe.
 */
public final class RowNormReference implements ReferenceOp {
    private final String opType;

    /**
     * The reference of one op type.
     *
     * @param opType GroupNorm, LayerNorm, RMSNorm or BatchNorm
     * @throws IllegalArgumentException for another op type
     */
    public RowNormReference(String opType) {
        if (!List.of(GroupNorm.OP_TYPE, LayerNorm.OP_TYPE, RmsNorm.OP_TYPE, BatchNorm.OP_TYPE).contains(opType)) {
            throw new IllegalArgumentException("opType: expected GroupNorm, LayerNorm, RMSNorm or BatchNorm, got "
                    + opType);
        }
        this.opType = opType;
    }

    @Override
    public String opType() {
        return opType;
    }

    /** Element indices (in logical order) of each row, and the parameter index of each element. */
    private record Rows(int[][] elements, int[][] params) {
    }

    private Rows rows(Attributes a, TensorType xt) {
        long[] dims = xt.shape().dims();
        int total = Math.toIntExact(xt.elementCount());
        int[][] elements;
        int[][] params;
        switch (opType) {
            case GroupNorm.OP_TYPE, BatchNorm.OP_TYPE -> {
                int n = (int) dims[0];
                int c = (int) dims[1];
                int s = total / (n * c);
                boolean group = opType.equals(GroupNorm.OP_TYPE);
                int g = group ? a.getInt(GroupNorm.GROUPS, 1) : 1;
                int perGroup = c / g;
                int rowCount = group ? n * g : c;
                int length = group ? perGroup * s : n * s;
                elements = new int[rowCount][length];
                params = new int[rowCount][length];
                for (int r = 0; r < rowCount; r++) {
                    int j = 0;
                    for (int bn = 0; bn < n; bn++) {
                        for (int ch = 0; ch < c; ch++) {
                            boolean inRow = group ? bn == r / g && ch / perGroup == r % g : ch == r;
                            if (!inRow) {
                                continue;
                            }
                            for (int sp = 0; sp < s; sp++, j++) {
                                elements[r][j] = (bn * c + ch) * s + sp;
                                params[r][j] = ch;
                            }
                        }
                    }
                }
            }
            default -> {
                int rank = dims.length;
                long axisAttr = a.getLong(LayerNorm.AXIS, -1);
                int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
                int length = 1;
                for (int i = axis; i < rank; i++) {
                    length *= (int) dims[i];
                }
                int rowCount = total / length;
                elements = new int[rowCount][length];
                params = new int[rowCount][length];
                for (int r = 0; r < rowCount; r++) {
                    for (int j = 0; j < length; j++) {
                        elements[r][j] = r * length + j;
                        params[r][j] = j;
                    }
                }
            }
        }
        return new Rows(elements, params);
    }

    @Override
    public List<double[]> evaluate(Attributes a, List<TensorType> inputTypes, List<double[]> inputs,
                                   List<TensorType> outputTypes) {
        boolean rms = opType.equals(RmsNorm.OP_TYPE);
        boolean batch = opType.equals(BatchNorm.OP_TYPE);
        boolean hasGamma = a.getBoolean(InstanceNorm.GAMMA, false);
        boolean hasBeta = !rms && a.getBoolean(InstanceNorm.BETA, false);
        boolean training = !batch || a.getBoolean(BatchNorm.TRAINING, true);
        boolean running = batch && (!training || a.getBoolean(BatchNorm.RUNNING_STATS, false));
        double eps = a.getDouble(InstanceNorm.EPS, batch ? BatchNorm.DEFAULT_EPS
                : rms ? RmsNorm.DEFAULT_EPS : GroupNorm.DEFAULT_EPS);
        double momentum = a.getDouble(BatchNorm.MOMENTUM, BatchNorm.DEFAULT_MOMENTUM);
        double[] x = inputs.get(0);
        int next = 1;
        double[] gamma = hasGamma ? inputs.get(next++) : null;
        double[] beta = hasBeta ? inputs.get(next++) : null;
        double[] runningMean = running ? inputs.get(next++) : null;
        double[] runningVar = running ? inputs.get(next) : null;
        Rows rows = rows(a, inputTypes.get(0));
        int count = rows.elements().length;
        double[] y = new double[x.length];
        double[] mean = new double[count];
        double[] invstd = new double[count];
        double[] unbiased = new double[count];
        for (int r = 0; r < count; r++) {
            int[] e = rows.elements()[r];
            double m;
            double v;
            if (!training) {
                m = runningMean[r];
                v = runningVar[r];
            } else if (rms) {
                m = 0;
                double sq = 0;
                for (int i : e) {
                    sq += x[i] * x[i];
                }
                v = sq / e.length;
            } else {
                double s = 0;
                for (int i : e) {
                    s += x[i];
                }
                m = s / e.length;
                double sq = 0;
                for (int i : e) {
                    sq += (x[i] - m) * (x[i] - m);
                }
                v = sq / e.length;
                unbiased[r] = e.length > 1 ? sq / (e.length - 1) : 0;
            }
            double inv = 1 / Math.sqrt(v + eps);
            for (int j = 0; j < e.length; j++) {
                int p = rows.params()[r][j];
                y[e[j]] = (x[e[j]] - m) * inv * (gamma == null ? 1 : gamma[p]) + (beta == null ? 0 : beta[p]);
            }
            mean[r] = m;
            invstd[r] = inv;
        }
        List<double[]> out = new ArrayList<>(List.of(y));
        if (training) {
            if (!rms) {
                out.add(mean);
            }
            out.add(invstd);
            if (running) {
                double[] rm = new double[count];
                double[] rv = new double[count];
                for (int c = 0; c < count; c++) {
                    rm[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
                    rv[c] = (1 - momentum) * runningVar[c] + momentum * unbiased[c];
                }
                out.add(rm);
                out.add(rv);
            }
        }
        return out;
    }
}
