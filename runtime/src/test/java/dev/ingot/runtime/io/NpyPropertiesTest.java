package dev.ingot.runtime.io;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;

import dev.ingot.allocator.EagerBufferAllocator;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class NpyPropertiesTest {

    private Path dir;

    @BeforeTry
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("npy-props");
    }

    @AfterTry
    void removeDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Provide
    Arbitrary<long[]> shapes() {
        return Arbitraries.longs().between(0, 6).array(long[].class).ofMinSize(1).ofMaxSize(5);
    }

    @Property(tries = 120)
    void writeThenReadGivesTheSameTensor(@ForAll("shapes") long[] dims, @ForAll boolean doubles,
                                         @ForAll @IntRange(min = 1, max = 3) int version,
                                         @ForAll boolean bigEndian, @ForAll long seed) {
        Shape shape = Shape.of(dims);
        Random random = new Random(seed);
        int n = (int) shape.elementCount();
        Path file = dir.resolve("t.npy");
        ByteOrder order = bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        if (doubles) {
            double[] data = new double[n];
            for (int i = 0; i < n; i++) {
                data[i] = i % 7 == 3 ? Double.NaN : random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
            }
            try (Tensor t = Tensor.copyOf(data, shape)) {
                Npy.write(file, t, version, order);
            }
            try (Tensor back = Npy.read(file)) {
                assertEquals(new TensorType(shape, DType.FLOAT64, Layout.NCHW), back.type());
                assertArrayEquals(data, back.toDoubleArray());
            }
        } else {
            float[] data = new float[n];
            for (int i = 0; i < n; i++) {
                data[i] = i % 5 == 1 ? Float.intBitsToFloat(random.nextInt()) : (float) random.nextGaussian();
            }
            try (Tensor t = Tensor.copyOf(data, shape)) {
                Npy.write(file, t, version, order);
            }
            try (Tensor back = Npy.read(file)) {
                assertEquals(shape, back.shape());
                assertArrayBitsEqual(data, back.toFloatArray());
            }
            if (order == ByteOrder.nativeOrder()) {
                try (Tensor mapped = Npy.map(file)) {
                    assertArrayBitsEqual(data, mapped.toFloatArray());
                }
            }
        }
        NpyHeader header = Npy.readHeader(file);
        assertEquals(version, header.majorVersion());
        assertEquals(order, header.byteOrder());
        assertEquals(0, header.dataOffset() % 64, "NumPy aligns data to 64 bytes");
    }

    /**
     * Through a channel, a stream and a buffer: whatever is written reads back bit for bit, in the same type,
     * whatever the shape, dtype, version, byte order and layout, into pooled memory or the caller's segment.
     */
    @Property(tries = 100)
    void streamRoundTripsAreExact(@ForAll("shapes") long[] dims, @ForAll boolean doubles,
                                  @ForAll @IntRange(min = 0, max = 3) int version, @ForAll boolean bigEndian,
                                  @ForAll @IntRange(min = 0, max = 2) int via, @ForAll long seed)
            throws IOException {
        Shape shape = Shape.of(dims);
        Random random = new Random(seed);
        long[] bits = new long[(int) shape.elementCount()];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = doubles ? random.nextLong() : random.nextInt() & 0xffffffffL;
        }
        TensorType type = new TensorType(shape, doubles ? DType.FLOAT64 : DType.FLOAT32, Layout.NCHW);
        ByteOrder order = bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        try (EagerBufferAllocator pool = new EagerBufferAllocator();
             Tensor t = Tensor.allocate(type, pool);
             Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < bits.length; i++) {
                if (doubles) {
                    t.segment().setAtIndex(ValueLayout.JAVA_LONG, i, bits[i]);
                } else {
                    t.segment().setAtIndex(ValueLayout.JAVA_INT, i, (int) bits[i]);
                }
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Npy.write(Channels.newChannel(bytes), t, version, order);
            byte[] encoded = bytes.toByteArray();
            if (version == 0 && order == ByteOrder.LITTLE_ENDIAN) {
                assertEquals(Npy.encodedSize(type), encoded.length);
            }
            Tensor back = switch (via) {
                case 0 -> Npy.read(new ByteArrayInputStream(encoded), pool);
                case 1 -> Npy.read(Channels.newChannel(new ByteArrayInputStream(encoded)),
                        arena.allocate(Math.max(1, type.byteSize()), 64));
                default -> Npy.read(ByteBuffer.wrap(encoded), pool);
            };
            try (back) {
                assertEquals(type, back.type());
                for (int i = 0; i < bits.length; i++) {
                    long got = doubles ? back.segment().getAtIndex(ValueLayout.JAVA_LONG, i)
                            : back.segment().getAtIndex(ValueLayout.JAVA_INT, i) & 0xffffffffL;
                    assertEquals(bits[i], got, "element " + i);
                }
            }
        }
    }

    private static void assertArrayBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
        }
    }
}
