package dev.ingot.bench;

import dev.ingot.ops.norm.InstanceNorm;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;

/**
 * What an affine InstanceNorm forward and backward produce for one {@link InstanceNormCase}, as plain arrays, so
 * one implementation can be checked against another.
 *
 * @param y      forward output, shape of x
 * @param dx     gradient of x, shape of x
 * @param dgamma gradient of gamma [C]
 * @param dbeta  gradient of beta [C]
 */
record InstanceNormResults(float[] y, float[] dx, float[] dgamma, float[] dbeta) {

    /** Runs ingot's {@link InstanceNorm#forward} and {@link InstanceNorm#backward} on {@code threads} threads. */
    static InstanceNormResults ingot(InstanceNormCase c, int threads) {
        Shape shape = Shape.of(c.shape());
        Shape perChannel = Shape.of(c.channels());
        try (CpuBackend backend = CpuBackend.builder().threads(threads).build();
             Tensor x = Tensor.copyOf(c.x(), shape);
             Tensor dy = Tensor.copyOf(c.dy(), shape);
             Tensor gamma = Tensor.copyOf(c.gamma(), perChannel);
             Tensor beta = Tensor.copyOf(c.beta(), perChannel);
             InstanceNorm.Forward forward = InstanceNorm.forward(backend, x, gamma, beta, InstanceNormCase.EPS);
             InstanceNorm.Gradients grads = InstanceNorm.backward(backend, x, dy, forward.mean(), forward.invstd(),
                     gamma, true, InstanceNormCase.EPS)) {
            return new InstanceNormResults(forward.y().toFloatArray(), grads.dx().toFloatArray(),
                    grads.dgamma().toFloatArray(), grads.dbeta().toFloatArray());
        }
    }

    /**
     * Checks every output against {@code reference}: for each array, the largest absolute difference must be at
     * most {@code tolerance} times the largest magnitude in the reference's array.
     *
     * @throws IllegalStateException naming the first array that differs more, its worst element and both values
     */
    void requireCloseTo(InstanceNormResults reference, double tolerance) {
        requireClose("y", reference.y, y, tolerance);
        requireClose("dx", reference.dx, dx, tolerance);
        requireClose("dgamma", reference.dgamma, dgamma, tolerance);
        requireClose("dbeta", reference.dbeta, dbeta, tolerance);
    }

    /** The largest |actual - expected| over the largest |expected|: a relative error that ignores zero crossings. */
    static double relativeError(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new IllegalArgumentException("actual: expected " + expected.length + " values, got "
                    + actual.length);
        }
        double scale = Double.MIN_NORMAL;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs((double) expected[i]));
            double difference = Math.abs((double) actual[i] - expected[i]);
            worst = Double.isNaN(difference) ? Double.POSITIVE_INFINITY : Math.max(worst, difference);
        }
        return worst / scale;
    }

    private static void requireClose(String name, float[] expected, float[] actual, double tolerance) {
        double error = relativeError(expected, actual);
        if (!(error <= tolerance)) {
            int worst = worstIndex(expected, actual);
            throw new IllegalStateException(name + ": relative error " + error + " exceeds " + tolerance
                    + "; worst at index " + worst + ": expected " + expected[worst] + ", got " + actual[worst]);
        }
    }

    private static int worstIndex(float[] expected, float[] actual) {
        int worst = 0;
        double largest = -1;
        for (int i = 0; i < expected.length; i++) {
            double difference = Math.abs((double) actual[i] - expected[i]);
            if (Double.isNaN(difference) || difference > largest) {
                largest = Double.isNaN(difference) ? Double.POSITIVE_INFINITY : difference;
                worst = i;
            }
        }
        return worst;
    }
}
