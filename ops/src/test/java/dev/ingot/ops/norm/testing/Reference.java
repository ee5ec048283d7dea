package dev.ingot.ops.norm.testing;

/**
 * Straightforward float64 instance norm, forward and backward, on NCHW-ordered arrays: the independent judge of
 * the kernels. Mean and variance are two-pass in double; the backward pass uses the textbook formula with xhat.
 * Every sum is compensated (Neumaier), so the reference stays exact to about 1e-16 of its terms even where the
 * sum cancels to a small fraction of them. Float inputs keep every product here within double's range unless eps
 * is near {@code Double.MIN_VALUE} and the plane constant, where invstd (at most 4.5e161) still fits.
 */
public final class Reference {
    private Reference() {
    }

    /** Forward results, NCHW order; mean and invstd are [N, C]. */
    public record Forward(double[] y, double[] mean, double[] invstd) {
    }

    /** Backward results; dgamma and dbeta are [C]. */
    public record Backward(double[] dx, double[] dgamma, double[] dbeta) {
    }

    public static Forward forward(float[] x, int n, int c, int m, float[] gamma, float[] beta, double eps) {
        return forward(widen(x), n, c, m, widen(gamma), widen(beta), eps);
    }

    public static Backward backward(float[] x, float[] dy, int n, int c, int m, float[] gamma, double eps) {
        return backward(widen(x), widen(dy), n, c, m, widen(gamma), eps);
    }

    /** The values as doubles; null stays null. */
    public static double[] widen(float[] f) {
        if (f == null) {
            return null;
        }
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    public static Forward forward(double[] x, int n, int c, int m, double[] gamma, double[] beta, double eps) {
        double[] y = new double[x.length];
        double[] mean = new double[n * c];
        double[] invstd = new double[n * c];
        for (int p = 0; p < n * c; p++) {
            int ch = p % c;
            double mu = mean(x, p * m, m);
            double inv = 1 / Math.sqrt(variance(x, p * m, m, mu) + eps);
            mean[p] = mu;
            invstd[p] = inv;
            double g = gamma == null ? 1 : gamma[ch];
            double b = beta == null ? 0 : beta[ch];
            for (int i = p * m; i < (p + 1) * m; i++) {
                y[i] = (x[i] - mu) * inv * g + b;
            }
        }
        return new Forward(y, mean, invstd);
    }

    public static Backward backward(double[] x, double[] dy, int n, int c, int m, double[] gamma, double eps) {
        return backward(x, dy, n, c, m, gamma, eps, null);
    }

    /** The backward pass with the given invstd [N, C] instead of the one computed from x (null: computed). */
    public static Backward backward(double[] x, double[] dy, int n, int c, int m, double[] gamma, double eps,
                                    double[] givenInvstd) {
        double[] dx = new double[x.length];
        double[] dgamma = new double[c];
        double[] dbeta = new double[c];
        for (int p = 0; p < n * c; p++) {
            int ch = p % c;
            int from = p * m;
            double mu = mean(x, from, m);
            // the mean's rounding to double, times sum(dy), can be a millionth of sum(dy * xhat) where the mean is
            // far above the spread and dy nearly constant: x - mean is formed as (x - mu) - lo
            Sum residual = new Sum();
            for (int i = from; i < from + m; i++) {
                residual.add(x[i] - mu);
            }
            double lo = residual.value() / m;
            double inv = givenInvstd != null ? givenInvstd[p] : 1 / Math.sqrt(variance(x, from, m, mu) + eps);
            Sum sumDy = new Sum();
            Sum sumDyXhat = new Sum();
            for (int i = from; i < from + m; i++) {
                sumDy.add(dy[i]);
                sumDyXhat.add(dy[i] * (((x[i] - mu) - lo) * inv));
            }
            double meanDy = sumDy.value();
            double meanDyXhat = sumDyXhat.value();
            dbeta[ch] += meanDy;
            dgamma[ch] += meanDyXhat;
            meanDy /= m;
            meanDyXhat /= m;
            double g = gamma == null ? 1 : gamma[ch];
            for (int i = from; i < from + m; i++) {
                double xhat = ((x[i] - mu) - lo) * inv;
                dx[i] = g * inv * (dy[i] - meanDy - xhat * meanDyXhat);
            }
        }
        return new Backward(dx, dgamma, dbeta);
    }

    private static double mean(double[] x, int from, int m) {
        Sum s = new Sum();
        for (int i = from; i < from + m; i++) {
            s.add(x[i]);
        }
        double mu = s.value() / m;
        Sum residual = new Sum(); // a second pass removes the division's and the sum's last roundings
        for (int i = from; i < from + m; i++) {
            residual.add(x[i] - mu);
        }
        return mu + residual.value() / m;
    }

    private static double variance(double[] x, int from, int m, double mu) {
        Sum s = new Sum();
        for (int i = from; i < from + m; i++) {
            double d = x[i] - mu;
            s.add(d * d);
        }
        return s.value() / m;
    }

    /** Neumaier's compensated sum. */
    private static final class Sum {
        private double sum;
        private double compensation;

        void add(double v) {
            double t = sum + v;
            compensation += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
        }

        double value() {
            return sum + compensation;
        }
    }

    /** Normwise relative error max|out - ref| / max|ref|; 0/0 counts as 0, anything/0 as infinity. */
    public static double relativeError(float[] out, double[] ref) {
        if (out.length != ref.length) {
            throw new IllegalArgumentException("lengths differ: " + out.length + " vs " + ref.length);
        }
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < out.length; i++) {
            double diff = Math.abs(out[i] - ref[i]);
            if (Double.isNaN(diff)) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, diff);
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        if (maxDiff == 0) {
            return 0;
        }
        return maxRef == 0 ? Double.POSITIVE_INFINITY : maxDiff / maxRef;
    }

    /** Rearranges NCHW-ordered values [N, C, M] into channels-last order [N, M, C]. */
    public static float[] toChannelsLast(float[] nchw, int n, int c, int m) {
        float[] out = new float[nchw.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int s = 0; s < m; s++) {
                    out[(b * m + s) * c + ch] = nchw[(b * c + ch) * m + s];
                }
            }
        }
        return out;
    }

    /** Rearranges channels-last values [N, M, C] into NCHW order [N, C, M]. */
    public static float[] fromChannelsLast(float[] nlc, int n, int c, int m) {
        float[] out = new float[nlc.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int s = 0; s < m; s++) {
                    out[(b * c + ch) * m + s] = nlc[(b * m + s) * c + ch];
                }
            }
        }
        return out;
    }
}
