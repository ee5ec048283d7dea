package dev.ingot.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShapeTest {

    @Test
    void basicsAndDefensiveCopies() {
        long[] dims = {2, 3, 4};
        Shape shape = new Shape(dims);
        dims[0] = 99;
        assertEquals(2, shape.dim(0));
        shape.dims()[1] = 99;
        assertEquals(3, shape.dim(1));
        assertEquals(3, shape.rank());
        assertEquals(24, shape.elementCount());
        assertEquals("[2, 3, 4]", shape.toString());
        assertEquals(Shape.of(2, 3, 4), shape);
        assertEquals(Shape.of(2, 3, 4).hashCode(), shape.hashCode());
    }

    @Test
    void rankMustBeOneToEight() {
        assertThrows(IllegalArgumentException.class, Shape::of);
        assertEquals(8, Shape.of(1, 1, 1, 1, 1, 1, 1, 1).rank());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.of(1, 1, 1, 1, 1, 1, 1, 1, 1));
        assertTrue(e.getMessage().contains("rank 9"), e.getMessage());
    }

    @Test
    void negativeDimensionsAndOverflowAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.of(1L << 32, 1L << 32));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2).dim(1));
    }

    @Test
    void stridesOfLayouts() {
        assertArrayEquals(new long[] {60, 20, 5, 1}, TensorType.float32(2, 3, 4, 5).strides());
        TensorType nhwc = new TensorType(Shape.of(2, 3, 4, 5), DType.FLOAT32, Layout.CHANNELS_LAST);
        assertArrayEquals(new long[] {60, 1, 15, 3}, nhwc.strides());
        TensorType packed = new TensorType(Shape.of(2, 5, 3), DType.FLOAT32, Layout.NC4HW4);
        assertEquals(2 * 8 * 3, packed.storageElementCount());
        assertEquals(2 * 8 * 3 * 4, packed.byteSize());
        assertThrows(IllegalStateException.class, packed::strides);
        assertThrows(IllegalArgumentException.class,
                () -> new TensorType(Shape.of(4), DType.FLOAT32, Layout.CHANNELS_LAST));
    }

    @Test
    void elementOffsetsAgreeWithStrides() {
        TensorType nhwc = new TensorType(Shape.of(2, 3, 4, 5), DType.FLOAT32, Layout.CHANNELS_LAST);
        long[] st = nhwc.strides();
        // (n=1, c=2, h=3, w=4) -> s = 3*5+4
        assertEquals(st[0] + 2 * st[1] + 3 * st[2] + 4 * st[3], nhwc.elementOffset(1, 2, 19));
        TensorType packed = new TensorType(Shape.of(2, 5, 3), DType.FLOAT32, Layout.NC4HW4);
        // n=1, c=4 (block 1, lane 0), s=2: ((1*2+1)*3+2)*4+0
        assertEquals(44, packed.elementOffset(1, 4, 2));
    }
}
