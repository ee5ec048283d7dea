package dev.ingot.bench;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Shapes written as JMH parameters and CLI arguments ("8x64x64x64"), and the inputs the kernel benchmarks use. */
public final class BenchShapes {
    private BenchShapes() {
    }

    /**
     * Parses "NxCx..." into a shape.
     *
     * @throws IllegalArgumentException naming the text when it is not positive sizes joined by 'x'
     */
    public static Shape parse(String text) {
        String[] parts = text.strip().split("x", -1);
        long[] dims = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                dims[i] = -1;
            }
            if (dims[i] < 1) {
                throw new IllegalArgumentException("shape: expected positive sizes joined by 'x' like 8x64x64x64, got '"
                        + text + "'");
            }
        }
        return Shape.of(dims);
    }

    /** An owned float32 tensor of standard normal values, reproducible from {@code seed}. */
    static Tensor gaussian(Shape shape, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor tensor = Tensor.allocate(new TensorType(shape, DType.FLOAT32, Layout.NCHW));
        MemorySegment segment = tensor.segment();
        long count = shape.elementCount();
        for (long i = 0; i < count; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        }
        return tensor;
    }

    /**
     * Like {@link #gaussian}, but every batch entry holds the values of the first, so each channel has bitwise the
     * same statistics in every instance.
     */
    static Tensor gaussianSameOverBatch(Shape shape, long seed) {
        Tensor tensor = gaussian(shape, seed);
        long batchBytes = tensor.byteSize() / shape.dim(0);
        MemorySegment segment = tensor.segment();
        for (long n = 1; n < shape.dim(0); n++) {
            MemorySegment.copy(segment, 0, segment, n * batchBytes, batchBytes);
        }
        return tensor;
    }
}
