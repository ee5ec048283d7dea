package dev.ingot.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The inputs of one affine InstanceNorm forward and backward: x and dy of {@code shape}, gamma and beta of [C], all
 * float32 standard normal values reproducible from a seed. Plain arrays, so ingot and LibTorch get the same numbers.
 *
 * @param shape [N, C, spatial...], rank 3 to 5
 * @param x     input, row-major (NCHW) over {@code shape}
 * @param dy    gradient of the loss with respect to y, like x
 * @param gamma per-channel scale [C]
 * @param beta  per-channel shift [C]
 */
record InstanceNormCase(long[] shape, float[] x, float[] dy, float[] gamma, float[] beta) {
    /** PyTorch's default epsilon, used by both sides. */
    static final float EPS = 1e-5f;

    InstanceNormCase {
        shape = shape.clone();
    }

    /** A case of standard normal values from {@code seed}. */
    static InstanceNormCase random(long[] shape, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int elements = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
        int channels = Math.toIntExact(shape[1]);
        return new InstanceNormCase(shape, gaussian(random, elements), gaussian(random, elements),
                gaussian(random, channels), gaussian(random, channels));
    }

    /**
     * Parses "NxCx..." (the benchmarks' shape parameter).
     *
     * @throws IllegalArgumentException naming the text when it is not 3 to 5 positive sizes joined by 'x'
     */
    static long[] parseShape(String text) {
        String[] parts = text.strip().split("x", -1);
        long[] dims = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                dims[i] = -1;
            }
        }
        if (dims.length < 3 || dims.length > 5 || Arrays.stream(dims).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("shape: expected 3 to 5 positive sizes joined by 'x' like 8x64x64x64, got '"
                    + text + "'");
        }
        return dims;
    }

    int batch() {
        return Math.toIntExact(shape[0]);
    }

    int channels() {
        return Math.toIntExact(shape[1]);
    }

    /** Elements of one plane (the spatial size). */
    int plane() {
        return x.length / (batch() * channels());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public String toString() {
        return "InstanceNormCase" + Arrays.toString(shape);
    }

    private static float[] gaussian(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
