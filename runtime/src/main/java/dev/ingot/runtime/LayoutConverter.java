package dev.ingot.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Copies a tensor into another of the same logical shape and dtype in any {@link Layout}: NCHW, CHANNELS_LAST and
 * NC4HW4 in every direction. NC4HW4 padding lanes of the destination are written as zeros. Allocates nothing.
 * Stateless and thread-safe; the two tensors must not overlap.
 */
public final class LayoutConverter {

    private LayoutConverter() {
    }

    /** Element distance between neighbouring spatial positions of one (n, c) plane. */
    private static long spatialStep(TensorType type) {
        return switch (type.layout()) {
            case NCHW -> 1;
            case CHANNELS_LAST -> type.channels();
            case NC4HW4 -> Layout.PACK;
        };
    }

    /**
     * Copies {@code source} into {@code target}.
     *
     * @param source the tensor to copy from
     * @param target the tensor to copy into, of the same shape and dtype
     * @throws IllegalArgumentException when shapes or dtypes differ
     * @throws IllegalStateException    when a tensor is unbacked or closed, or the target is read-only
     */
    public static void convert(Tensor source, Tensor target) {
        TensorType from = source.type();
        TensorType to = target.type();
        if (!from.shape().equals(to.shape()) || from.dtype() != to.dtype()) {
            throw new IllegalArgumentException("target: expected shape " + from.shape() + " " + from.dtype()
                    + " like the source, got " + to.shape() + " " + to.dtype());
        }
        if (target.isReadOnly()) {
            throw new IllegalStateException("target " + to + " is read-only");
        }
        MemorySegment in = source.segment();
        MemorySegment out = target.segment();
        if (from.layout() == to.layout()) {
            MemorySegment.copy(in, 0, out, 0, from.byteSize());
            return;
        }
        if (to.layout() == Layout.NC4HW4) {
            out.fill((byte) 0);
        }
        long batch = from.batch();
        long channels = from.channels();
        long spatial = from.spatialSize();
        long srcStep = spatialStep(from);
        long dstStep = spatialStep(to);
        boolean single = from.dtype() == DType.FLOAT32;
        for (long n = 0; n < batch; n++) {
            for (long c = 0; c < channels; c++) {
                long src = from.elementOffset(n, c, 0);
                long dst = to.elementOffset(n, c, 0);
                if (single) {
                    for (long s = 0; s < spatial; s++, src += srcStep, dst += dstStep) {
                        out.setAtIndex(ValueLayout.JAVA_FLOAT, dst, in.getAtIndex(ValueLayout.JAVA_FLOAT, src));
                    }
                } else {
                    for (long s = 0; s < spatial; s++, src += srcStep, dst += dstStep) {
                        out.setAtIndex(ValueLayout.JAVA_DOUBLE, dst, in.getAtIndex(ValueLayout.JAVA_DOUBLE, src));
                    }
                }
            }
        }
    }
}
