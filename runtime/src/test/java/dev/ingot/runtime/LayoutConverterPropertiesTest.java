package dev.ingot.runtime;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LayoutConverterPropertiesTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Arbitraries.longs().between(1, 7).array(long[].class).ofMinSize(2).ofMaxSize(5);
    }

    @Property(tries = 150)
    void roundTripsThroughEveryLayout(@ForAll("shapes") long[] dims, @ForAll Layout from, @ForAll Layout to,
                                      @ForAll boolean doubles, @ForAll long seed) {
        Shape shape = Shape.of(dims);
        Random random = new Random(seed);
        int n = (int) shape.elementCount();
        double[] data = new double[n];
        for (int i = 0; i < n; i++) {
            data[i] = doubles ? random.nextGaussian() : (float) random.nextGaussian();
        }
        DType dtype = doubles ? DType.FLOAT64 : DType.FLOAT32;
        try (Tensor a = Tensor.allocate(new TensorType(shape, dtype, from));
             Tensor b = Tensor.allocate(new TensorType(shape, dtype, to));
             Tensor back = Tensor.allocate(new TensorType(shape, dtype, from))) {
            a.copyFrom(data);
            LayoutConverter.convert(a, b);
            assertArrayEquals(data, b.toDoubleArray(), "logical order is kept in " + to);
            LayoutConverter.convert(b, back);
            assertArrayEquals(data, back.toDoubleArray());
            assertEquals(a.segment().mismatch(back.segment()), -1L, "bytes are identical after a round trip");
        }
    }

    @Property(tries = 60)
    void storagePositionsFollowTheLayoutFormulas(@ForAll("shapes") long[] dims, @ForAll long seed) {
        Shape shape = Shape.of(dims);
        long batch = dims[0];
        long channels = dims[1];
        long spatial = shape.elementCount() / (batch * channels);
        float[] data = new float[(int) shape.elementCount()];
        for (int i = 0; i < data.length; i++) {
            data[i] = i + 1;
        }
        try (Tensor nhwc = Tensor.copyOf(data, shape, Layout.CHANNELS_LAST);
             Tensor packed = Tensor.copyOf(data, shape, Layout.NC4HW4)) {
            long blocks = (channels + 3) / 4;
            assertEquals(batch * blocks * 4 * spatial * 4, packed.byteSize());
            for (long nn = 0; nn < batch; nn++) {
                for (long c = 0; c < channels; c++) {
                    for (long s = 0; s < spatial; s++) {
                        float expected = (float) ((nn * channels + c) * spatial + s + 1);
                        float inNhwc = nhwc.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT,
                                (nn * spatial + s) * channels + c);
                        float inPacked = packed.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT,
                                ((nn * blocks + c / 4) * spatial + s) * 4 + c % 4);
                        assertEquals(expected, inNhwc);
                        assertEquals(expected, inPacked);
                    }
                }
                for (long c = channels; c < blocks * 4; c++) {
                    for (long s = 0; s < spatial; s++) {
                        assertEquals(0f, packed.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT,
                                ((nn * blocks + c / 4) * spatial + s) * 4 + c % 4), "padding lanes are zero");
                    }
                }
            }
            try (Tensor viaConvert = nhwc.convertTo(Layout.NC4HW4)) {
                assertEquals(-1L, viaConvert.segment().mismatch(packed.segment()));
            }
        }
    }
}
