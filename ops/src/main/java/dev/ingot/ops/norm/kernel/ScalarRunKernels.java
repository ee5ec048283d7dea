package dev.ingot.ops.norm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain Java run kernels: the fallback, and the reference the vector ones are tested against. */
final class ScalarRunKernels implements RunKernels {
    static final ScalarRunKernels INSTANCE = new ScalarRunKernels();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ScalarRunKernels() {
    }

    private static double param(MemorySegment p, long i, double absent) {
        return p == null ? absent : p.getAtIndex(F32, i);
    }

    @Override
    public boolean sumsInFloat() {
        return false;
    }

    @Override
    public void fastSums(MemorySegment x, long offset, long count, float shift, double[] acc, int at) {
        sums(x, offset, count, shift, acc, at);
    }

    @Override
    public void fastGradSums(MemorySegment x, MemorySegment dy, long offset, long count, float shift, float[] gamma,
                             int gammaAt, double[] acc, int at) {
        double s = 0;
        double sq = 0;
        double sg = 0;
        double sgd = 0;
        double sgg = 0;
        for (int j = 0; j < count; j++) {
            double d = (double) x.getAtIndex(F32, offset + j) - shift;
            double g = (double) dy.getAtIndex(F32, offset + j) * (gamma == null ? 1.0f : gamma[gammaAt + j]);
            s += d;
            sq += d * d;
            sg += g;
            sgd += g * d;
            sgg += g * g;
        }
        acc[at] += s;
        acc[at + 1] += sq;
        acc[at + 2] += sg;
        acc[at + 3] += sgd;
        acc[at + 4] += sgg;
    }

    @Override
    public void addAndClear(float[] from, double[] to, int at, int count) {
        for (int i = at; i < at + count; i++) {
            to[i] += from[i];
            from[i] = 0f;
        }
    }

    @Override
    public int lanesPerSum() {
        return 0;
    }

    @Override
    public void fastSumsInto(MemorySegment x, long offset, long count, float shift, float[] lanes, int laneAt,
                             double[] acc, int at) {
        sums(x, offset, count, shift, acc, at);
    }

    @Override
    public void fastGradSumsInto(MemorySegment x, MemorySegment dy, long offset, long count, float shift,
                                 float[] lanes, int laneAt, double[] acc, int at) {
        fastGradSums(x, dy, offset, count, shift, null, 0, acc, at);
    }

    @Override
    public void flushLanes(float[] lanes, int laneAt, int sums, double[] acc, int at) {
        // the sums went to acc in double
    }

    @Override
    public void fastNormalize(MemorySegment x, MemorySegment y, long offset, long count, float mean, float invstd,
                              float corr, float[] gamma, float[] beta, int p) {
        for (int j = 0; j < count; j++) {
            float t = (x.getAtIndex(F32, offset + j) - mean) * invstd - corr;
            y.setAtIndex(F32, offset + j, t * gamma[p + j] + beta[p + j]);
        }
    }

    @Override
    public void fastNormalizeRun(MemorySegment x, MemorySegment y, long offset, long count, float mean,
                                 float invstd, float corr, float gamma, float beta) {
        for (long i = offset; i < offset + count; i++) {
            float t = (x.getAtIndex(F32, i) - mean) * invstd - corr;
            y.setAtIndex(F32, i, t * gamma + beta);
        }
    }

    @Override
    public void fastGradInputRun(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                                 float mean, float invstd, float corr, float meanG, float meanGxhat, float gamma) {
        for (long i = offset; i < offset + count; i++) {
            float xhat = (x.getAtIndex(F32, i) - mean) * invstd - corr;
            float g = dy.getAtIndex(F32, i) * gamma;
            dx.setAtIndex(F32, i, (g - (xhat * meanGxhat + meanG)) * invstd);
        }
    }

    @Override
    public void fastGradInput(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                              float mean, float invstd, float corr, float meanG, float meanGxhat, float[] gamma,
                              int p, float[] dgamma, float[] dbeta, int at) {
        for (int j = 0; j < count; j++) {
            float d = dy.getAtIndex(F32, offset + j);
            float xhat = (x.getAtIndex(F32, offset + j) - mean) * invstd - corr;
            dgamma[at + j] += d * xhat;
            dbeta[at + j] += d;
            dx.setAtIndex(F32, offset + j, (d * gamma[p + j] - (xhat * meanGxhat + meanG)) * invstd);
        }
    }

    @Override
    public void sums(MemorySegment x, long offset, long count, double shift, double[] acc, int at) {
        double s = 0;
        double sq = 0;
        for (long i = offset; i < offset + count; i++) {
            double d = x.getAtIndex(F32, i) - shift;
            s += d;
            sq += d * d;
        }
        acc[at] += s;
        acc[at + 1] += sq;
    }

    @Override
    public double sumSquares(MemorySegment x, long offset, long count) {
        double sq = 0;
        for (long i = offset; i < offset + count; i++) {
            double v = x.getAtIndex(F32, i);
            sq += v * v;
        }
        return sq;
    }

    @Override
    public void gradSums(MemorySegment x, MemorySegment dy, long offset, long count, double shift,
                         MemorySegment gamma, long gammaOffset, double[] acc, int at) {
        double s = 0;
        double sq = 0;
        double sg = 0;
        double sgd = 0;
        for (long j = 0; j < count; j++) {
            double d = x.getAtIndex(F32, offset + j) - shift;
            double g = dy.getAtIndex(F32, offset + j) * param(gamma, gammaOffset + j, 1.0);
            s += d;
            sq += d * d;
            sg += g;
            sgd += g * d;
        }
        acc[at] += s;
        acc[at + 1] += sq;
        acc[at + 2] += sg;
        acc[at + 3] += sgd;
    }

    @Override
    public void normalize(MemorySegment x, MemorySegment y, long offset, long count, double mean, double scale,
                          double bias) {
        for (long i = offset; i < offset + count; i++) {
            y.setAtIndex(F32, i, (float) ((x.getAtIndex(F32, i) - mean) * scale + bias));
        }
    }

    @Override
    public void normalizeEach(MemorySegment x, MemorySegment y, long offset, long count, double mean,
                              double invstd, MemorySegment gamma, MemorySegment beta, long paramOffset) {
        for (long j = 0; j < count; j++) {
            double v = (x.getAtIndex(F32, offset + j) - mean) * invstd * param(gamma, paramOffset + j, 1.0)
                    + param(beta, paramOffset + j, 0.0);
            y.setAtIndex(F32, offset + j, (float) v);
        }
    }

    @Override
    public void gradInput(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                          double mean, double invstd, double gamma, double meanG, double meanGxhat) {
        for (long i = offset; i < offset + count; i++) {
            double xhat = (x.getAtIndex(F32, i) - mean) * invstd;
            double g = dy.getAtIndex(F32, i) * gamma;
            dx.setAtIndex(F32, i, (float) (invstd * (g - meanG - xhat * meanGxhat)));
        }
    }

    @Override
    public void gradInputEach(MemorySegment x, MemorySegment dy, MemorySegment dx, long offset, long count,
                              double mean, double invstd, MemorySegment gamma, long paramOffset, double meanG,
                              double meanGxhat, double[] dgamma, double[] dbeta, int at) {
        for (long j = 0; j < count; j++) {
            double d = dy.getAtIndex(F32, offset + j);
            double xhat = (x.getAtIndex(F32, offset + j) - mean) * invstd;
            dgamma[at + (int) j] += d * xhat;
            dbeta[at + (int) j] += d;
            double g = d * param(gamma, paramOffset + j, 1.0);
            dx.setAtIndex(F32, offset + j, (float) (invstd * (g - meanG - xhat * meanGxhat)));
        }
    }
}
