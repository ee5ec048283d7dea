package dev.ingot.runtime;

import java.util.Arrays;

/**
 * The logical extent of a tensor: rank 1 to 8, each dimension a count of elements (0 allowed). For the layouts of
 * this runtime the order is always {@code [N, C, spatial...]}, whatever the memory layout.
 *
 * <p>Immutable and thread-safe: the array is copied on the way in and on the way out.
 *
 * @param dims the dimensions, outermost first
 */
public record Shape(long[] dims) {

    /** Largest rank a shape may have. */
    public static final int MAX_RANK = 8;

    /**
     * Checks the dimensions and keeps a copy of them.
     *
     * @throws IllegalArgumentException when the rank is outside 1..8, a dimension is negative, or the element
     *                                  count does not fit in a {@code long}
     */
    public Shape {
        if (dims == null) {
            throw new IllegalArgumentException("dims: expected an array of 1 to " + MAX_RANK + " dimensions, got null");
        }
        dims = dims.clone();
        if (dims.length < 1 || dims.length > MAX_RANK) {
            throw new IllegalArgumentException("dims: expected rank 1 to " + MAX_RANK + ", got rank " + dims.length
                    + " " + Arrays.toString(dims));
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("dims[" + i + "]: expected >= 0, got " + dims[i] + " in "
                        + Arrays.toString(dims));
            }
        }
        countElements(dims);
    }

    /**
     * The shape with these dimensions.
     *
     * @return the shape
     */
    public static Shape of(long... dims) {
        return new Shape(dims);
    }

    /**
     * A copy of the dimensions.
     *
     * @return a copy of the dimensions
     */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    /**
     * Number of dimensions, 1 to 8.
     *
     * @return number of dimensions, 1 to 8
     */
    public int rank() {
        return dims.length;
    }

    /**
     * Dimension {@code i}, counted from the outermost (0).
     *
     * @param i the dimension's index, 0 to rank - 1
     * @return its size
     */
    public long dim(int i) {
        if (i < 0 || i >= dims.length) {
            throw new IllegalArgumentException("i: expected 0.." + (dims.length - 1) + ", got " + i + " for " + this);
        }
        return dims[i];
    }

    /**
     * Product of the dimensions.
     *
     * @return the product of the dimensions
     */
    public long elementCount() {
        return countElements(dims);
    }

    private static long countElements(long[] dims) {
        long count = 1;
        try {
            for (long d : dims) {
                count = Math.multiplyExact(count, d);
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("dims: element count of " + Arrays.toString(dims)
                    + " overflows a long", e);
        }
        return count;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Like {@code [2, 3, 4]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
