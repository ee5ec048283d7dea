package dev.ingot.runtime;

/**
 * What a tensor holds: its logical shape, element type and memory layout. Immutable and thread-safe.
 *
 * @param shape  the logical shape {@code [N, C, spatial...]}
 * @param dtype  the element type
 * @param layout the memory layout
 */
public record TensorType(Shape shape, DType dtype, Layout layout) {

    /**
     * Checks that the layout can describe the shape and that the storage size fits.
     *
     * @throws IllegalArgumentException when an argument is null, the layout cannot describe the shape's rank, or
     *                                  the storage size overflows a long
     */
    public TensorType {
        if (shape == null || dtype == null || layout == null) {
            throw new IllegalArgumentException("shape, dtype, layout: expected non-null, got " + shape + ", " + dtype
                    + ", " + layout);
        }
        if (shape.rank() < layout.minRank()) {
            throw new IllegalArgumentException("shape: layout " + layout + " needs rank >= " + layout.minRank()
                    + ", got " + shape);
        }
        try {
            Math.multiplyExact(storageElements(shape, layout), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape: byte size of " + shape + " " + dtype + " " + layout
                    + " overflows a long", e);
        }
    }

    /**
     * A dense float32 NCHW type.
     *
     * @param dims the dimensions, outermost first
     * @return the type
     */
    public static TensorType float32(long... dims) {
        return new TensorType(Shape.of(dims), DType.FLOAT32, Layout.NCHW);
    }

    /**
     * The same dtype and layout with another shape.
     *
     * @param newShape the new shape, of the same element count
     * @return the same dtype and layout with another shape
     */
    public TensorType withShape(Shape newShape) {
        return new TensorType(newShape, dtype, layout);
    }

    /**
     * Logical element count.
     *
     * @return the logical element count
     */
    public long elementCount() {
        return shape.elementCount();
    }

    /**
     * Elements the storage takes, padding lanes of {@link Layout#NC4HW4} included.
     *
     * @return the elements the storage takes, padding included
     */
    public long storageElementCount() {
        return storageElements(shape, layout);
    }

    /**
     * Bytes the storage takes.
     *
     * @return bytes the storage takes
     */
    public long byteSize() {
        return storageElementCount() * dtype.byteSize();
    }

    /**
     * The batch dimension N (dimension 0).
     *
     * @return the batch dimension N (dimension 0)
     */
    public long batch() {
        return shape.dim(0);
    }

    /**
     * The channel dimension C (dimension 1), or 1 for rank 1.
     *
     * @return the channel dimension C (dimension 1), or 1 for rank 1
     */
    public long channels() {
        return shape.rank() > 1 ? shape.dim(1) : 1;
    }

    /**
     * The product of the spatial dimensions (2 and up), 1 when there are none.
     *
     * @return the product of the spatial dimensions (2 and up), 1 when there are none
     */
    public long spatialSize() {
        return spatialSize(shape);
    }

    /**
     * Element strides of the logical dimensions: element {@code (i0, i1, ...)} is at {@code sum(i_k * strides[k])}.
     *
     * @return the strides, one per logical dimension
     * @throws IllegalStateException for {@link Layout#NC4HW4}, which has no single stride for C
     */
    public long[] strides() {
        long[] dims = shape.dims();
        long[] strides = new long[dims.length];
        switch (layout) {
            case NCHW -> {
                long stride = 1;
                for (int i = dims.length - 1; i >= 0; i--) {
                    strides[i] = stride;
                    stride *= dims[i];
                }
            }
            case CHANNELS_LAST -> {
                long stride = 1;
                strides[1] = stride;
                stride *= dims[1];
                for (int i = dims.length - 1; i >= 2; i--) {
                    strides[i] = stride;
                    stride *= dims[i];
                }
                strides[0] = stride;
            }
            case NC4HW4 -> throw new IllegalStateException("layout NC4HW4 has no element strides: channels are packed"
                    + " in blocks of " + Layout.PACK + "; use elementOffset(n, c, s)");
        }
        return strides;
    }

    /**
     * Storage element offset of the logical element {@code (n, c, s)}, where {@code s} indexes the flattened
     * spatial dimensions (see {@link Layout}).
     *
     * @param n the batch index
     * @param c the channel index
     * @param s the index within the flattened spatial dimensions
     * @return the offset, in elements
     */
    public long elementOffset(long n, long c, long s) {
        long channels = channels();
        long spatial = spatialSize();
        return switch (layout) {
            case NCHW -> (n * channels + c) * spatial + s;
            case CHANNELS_LAST -> (n * spatial + s) * channels + c;
            case NC4HW4 -> ((n * blocks(channels) + c / Layout.PACK) * spatial + s) * Layout.PACK + c % Layout.PACK;
        };
    }

    @Override
    public String toString() {
        return shape + " " + dtype + " " + layout;
    }

    private static long spatialSize(Shape shape) {
        long spatial = 1;
        for (int i = 2; i < shape.rank(); i++) {
            spatial *= shape.dim(i);
        }
        return spatial;
    }

    private static long blocks(long channels) {
        return (channels + Layout.PACK - 1) / Layout.PACK;
    }

    private static long storageElements(Shape shape, Layout layout) {
        if (layout != Layout.NC4HW4) {
            return shape.elementCount();
        }
        long padded = Math.multiplyExact(blocks(shape.dim(1)), (long) Layout.PACK);
        return Math.multiplyExact(Math.multiplyExact(shape.dim(0), padded), spatialSize(shape));
    }
}
