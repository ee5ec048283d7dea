package dev.ingot.bench;

/** Affine InstanceNorm forward and backward in double, straight from the formulas: the tests' reference. */
final class Float64InstanceNorm {
    private Float64InstanceNorm() {
    }

    static InstanceNormResults run(InstanceNormCase c) {
        int planes = c.batch() * c.channels();
        int m = c.plane();
        float[] y = new float[c.x().length];
        float[] dx = new float[y.length];
        double[] dgamma = new double[c.channels()];
        double[] dbeta = new double[c.channels()];
        for (int p = 0; p < planes; p++) {
            int channel = p % c.channels();
            int base = p * m;
            double sum = 0;
            for (int i = 0; i < m; i++) {
                sum += c.x()[base + i];
            }
            double mean = sum / m;
            double squares = 0;
            for (int i = 0; i < m; i++) {
                double d = c.x()[base + i] - mean;
                squares += d * d;
            }
            double invstd = 1 / Math.sqrt(squares / m + InstanceNormCase.EPS);
            double gamma = c.gamma()[channel];
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int i = 0; i < m; i++) {
                double xhat = (c.x()[base + i] - mean) * invstd;
                double dyi = c.dy()[base + i];
                y[base + i] = (float) (xhat * gamma + c.beta()[channel]);
                sumDy += dyi;
                sumDyXhat += dyi * xhat;
            }
            dgamma[channel] += sumDyXhat;
            dbeta[channel] += sumDy;
            for (int i = 0; i < m; i++) {
                double xhat = (c.x()[base + i] - mean) * invstd;
                double dyi = c.dy()[base + i];
                dx[base + i] = (float) (gamma * invstd * (dyi - sumDy / m - xhat * sumDyXhat / m));
            }
        }
        return new InstanceNormResults(y, dx, toFloat(dgamma), toFloat(dbeta));
    }

    private static float[] toFloat(double[] values) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (float) values[i];
        }
        return result;
    }
}
