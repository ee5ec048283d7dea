package dev.ingot.bench;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Shapes written as JMH parameters ("8x64x64x64") and the inputs the kernel benchmarks fill them with. */
final class BenchShapes {
    private BenchShapes() {
    }

    /** Parses "NxCx..." into a shape. */
    static Shape parse(String text) {
        String[] parts = text.split("x");
        long[] dims = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            dims[i] = Long.parseLong(parts[i].strip());
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
