package dev.ingot.ops.norm;

import dev.ingot.runtime.Attributes;
import java.util.Arrays;

/** A float64 gradient of the row norms for the tests, over the logical order, from the textbook formulas. */
final class ReferenceGrad {
    private ReferenceGrad() {
    }

    /** Element indices of each row (logical order) and the parameter index of each element. */
    static int[][][] rows(RowNormAccuracyTest.Case k) {
        long[] dims = k.dims();
        int total = (int) Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        Attributes a = Attributes.of(k.attributes());
        if (k.op().equals(GroupNorm.OP_TYPE) || k.op().equals(BatchNorm.OP_TYPE)) {
            int n = (int) dims[0];
            int c = (int) dims[1];
            int s = total / (n * c);
            boolean group = k.op().equals(GroupNorm.OP_TYPE);
            int g = group ? a.getInt(GroupNorm.GROUPS, 1) : c;
            int per = c / g;
            int rows = group ? n * g : c;
            int[][] e = new int[rows][];
            int[][] p = new int[rows][];
            for (int r = 0; r < rows; r++) {
                int len = group ? per * s : n * s;
                e[r] = new int[len];
                p[r] = new int[len];
                int j = 0;
                int[] batches = group ? new int[] {r / g} : java.util.stream.IntStream.range(0, n).toArray();
                for (int bn : batches) {
                    int first = group ? (r % g) * per : r;
                    int last = group ? first + per : r + 1;
                    for (int ch = first; ch < last; ch++) {
                        for (int sp = 0; sp < s; sp++, j++) {
                            e[r][j] = (bn * c + ch) * s + sp;
                            p[r][j] = ch;
                        }
                    }
                }
            }
            return new int[][][] {e, p};
        }
        long axis = a.getLong(LayerNorm.AXIS, -1);
        int ax = (int) (axis < 0 ? axis + dims.length : axis);
        int len = 1;
        for (int i = ax; i < dims.length; i++) {
            len *= (int) dims[i];
        }
        int rows = total / len;
        int[][] e = new int[rows][len];
        int[][] p = new int[rows][len];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < len; j++) {
                e[r][j] = r * len + j;
                p[r][j] = j;
            }
        }
        return new int[][][] {e, p};
    }

    /** {dx, dgamma, dbeta} in double. */
    static double[][] of(RowNormAccuracyTest.Case k, float[] x, float[] dy, float[] gamma, double eps,
                         boolean rms) {
        int[][][] rp = rows(k);
        int params = (int) k.params();
        double[] dx = new double[x.length];
        double[] dgamma = new double[params];
        double[] dbeta = new double[params];
        for (int r = 0; r < rp[0].length; r++) {
            int[] e = rp[0][r];
            int[] p = rp[1][r];
            int m = e.length;
            double mean = 0;
            if (!rms) {
                for (int i : e) {
                    mean += x[i];
                }
                mean /= m;
            }
            double var = 0;
            for (int i : e) {
                var += (x[i] - mean) * (x[i] - mean);
            }
            var /= m;
            double inv = 1 / Math.sqrt(var + eps);
            double meanG = 0;
            double meanGxhat = 0;
            for (int j = 0; j < m; j++) {
                double g = (double) dy[e[j]] * (gamma == null ? 1 : gamma[p[j]]);
                double xhat = (x[e[j]] - mean) * inv;
                meanG += g;
                meanGxhat += g * xhat;
                dgamma[p[j]] += dy[e[j]] * xhat;
                dbeta[p[j]] += dy[e[j]];
            }
            meanG = rms ? 0 : meanG / m;
            meanGxhat /= m;
            for (int j = 0; j < m; j++) {
                double g = (double) dy[e[j]] * (gamma == null ? 1 : gamma[p[j]]);
                double xhat = (x[e[j]] - mean) * inv;
                dx[e[j]] = inv * (g - meanG - xhat * meanGxhat);
            }
        }
        return new double[][] {dx, dgamma, dbeta};
    }
}
