package dev.ingot.ops.grad;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.express.ReferenceOp;
import java.util.List;

/**
 * Float64 reference of {@value InstanceNorm#OP_TYPE} (y, mean, invstd) over the logical order, where each (n, c)
 * plane is contiguous: two passes per plane, biased variance. Stateless and thread-safe.
 */
public final class InstanceNormReference implements ReferenceOp {

    /** Creates the reference; {@link java.util.ServiceLoader} calls this. */
    public InstanceNormReference() {
    }

    @Override
    public String opType() {
        return InstanceNorm.OP_TYPE;
    }

    @Override
    public List<double[]> evaluate(Attributes attributes, List<TensorType> inputTypes, List<double[]> inputs,
                                   List<TensorType> outputTypes) {
        TensorType xt = inputTypes.get(0);
        int n = Math.toIntExact(xt.batch());
        int c = Math.toIntExact(xt.channels());
        int m = Math.toIntExact(xt.spatialSize());
        double eps = attributes.getDouble(InstanceNorm.EPS, InstanceNorm.DEFAULT_EPS);
        boolean hasGamma = attributes.getBoolean(InstanceNorm.GAMMA, false);
        boolean hasBeta = attributes.getBoolean(InstanceNorm.BETA, false);
        double[] x = inputs.get(0);
        double[] gamma = hasGamma ? inputs.get(1) : null;
        double[] beta = hasBeta ? inputs.get(hasGamma ? 2 : 1) : null;
        double[] y = new double[x.length];
        double[] mean = new double[n * c];
        double[] invstd = new double[n * c];
        for (int plane = 0; plane < n * c; plane++) {
            int ch = plane % c;
            int base = plane * m;
            double sum = 0;
            for (int i = 0; i < m; i++) {
                sum += x[base + i];
            }
            double mu = sum / m;
            double sq = 0;
            for (int i = 0; i < m; i++) {
                sq += (x[base + i] - mu) * (x[base + i] - mu);
            }
            double inv = 1 / Math.sqrt(sq / m + eps);
            double g = gamma == null ? 1 : gamma[ch];
            double b = beta == null ? 0 : beta[ch];
            for (int i = 0; i < m; i++) {
                y[base + i] = (x[base + i] - mu) * inv * g + b;
            }
            mean[plane] = mu;
            invstd[plane] = inv;
        }
        return List.of(y, mean, invstd);
    }
}
