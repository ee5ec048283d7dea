package dev.ingot.bench.cli;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * Repeated measurements of one value (the JMH iterations of every fork, or PyTorch's timing rounds): its median and
 * range. Immutable and thread-safe.
 */
final class Samples {
    /** A value whose largest sample exceeds its smallest by more than this factor is flagged as unstable. */
    static final double UNSTABLE_SPREAD = 1.5;

    private final double[] sorted;

    private Samples(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("samples: expected at least one value, got none");
        }
        for (double value : values) {
            if (!(value > 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException("samples: expected positive finite values, got " + value);
            }
        }
        sorted = values.clone();
        Arrays.sort(sorted);
    }

    static Samples of(double... values) {
        return new Samples(values);
    }

    /** The same samples through {@code f} (e.g. microseconds to GB/s); the median follows for monotonic f. */
    Samples map(DoubleUnaryOperator f) {
        double[] mapped = new double[sorted.length];
        for (int i = 0; i < mapped.length; i++) {
            mapped[i] = f.applyAsDouble(sorted[i]);
        }
        return new Samples(mapped);
    }

    double median() {
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    double min() {
        return sorted[0];
    }

    double max() {
        return sorted[sorted.length - 1];
    }

    int count() {
        return sorted.length;
    }

    /** Largest over smallest sample: 1 when every sample is the same. */
    double spread() {
        return max() / min();
    }

    /** Whether the range is too wide for the median to be quoted without a rerun (see {@link #UNSTABLE_SPREAD}). */
    boolean unstable() {
        return spread() > UNSTABLE_SPREAD;
    }

    double[] values() {
        return sorted.clone();
    }
}
