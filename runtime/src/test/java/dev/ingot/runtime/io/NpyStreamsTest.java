package dev.ingot.runtime.io;

import dev.ingot.allocator.AllocationLimitException;
import dev.ingot.allocator.AllocatorOptions;
import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.allocator.SegmentSource;
import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code .npy} through streams, channels and buffers: NumPy's own files, then hostile ones. */
class NpyStreamsTest {

    private static final Path FIXTURES = Path.of("src/test/resources/npy");

    private static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(FIXTURES.resolve(name));
    }

    @Test
    void readsNumpyFilesFromAStreamIntoPooledMemory() throws IOException {
        try (EagerBufferAllocator pool = new EagerBufferAllocator();
             Tensor t = Npy.read(new ByteArrayInputStream(fixture("v1-f4-le-2x3.npy")), pool)) {
            assertEquals(new TensorType(Shape.of(2, 3), DType.FLOAT32, Layout.NCHW), t.type());
            assertArrayEquals(new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f}, t.toFloatArray());
            assertTrue(pool.stats().inUse() >= 24, "the data sits in the pool's memory");
        }
        try (EagerBufferAllocator pool = new EagerBufferAllocator();
             Tensor t = Npy.read(Channels.newChannel(new ByteArrayInputStream(fixture("v2-f8-be-3.npy"))), pool)) {
            assertArrayEquals(new double[] {1.5, -2.25, 1e-300}, t.toDoubleArray(), "big-endian converted");
        }
    }

    @Test
    void closingTheTensorGivesThePooledMemoryBack() throws IOException {
        try (EagerBufferAllocator pool = new EagerBufferAllocator()) {
            Tensor t = Npy.read(ByteBuffer.wrap(fixture("v3-f4-le-2x2x2.npy")), pool);
            assertTrue(pool.stats().inUse() > 0);
            t.close();
            assertEquals(0, pool.stats().inUse());
        }
    }

    @Test
    void readsIntoTheCallersSegmentWithoutOwningIt() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment target = arena.allocate(64, 64);
            Tensor t = Npy.read(new ByteArrayInputStream(fixture("v1-f4-be-4.npy")), target);
            assertArrayEquals(new float[] {1, 2, 3, 4}, t.toFloatArray());
            assertEquals(target.address(), t.segment().address(), "no copy: the tensor is the caller's memory");
            t.close();
            assertEquals(2f, target.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 1), "still the caller's");
        }
    }

    @Test
    void readsSeveralArraysFromOneStreamInTurn() throws IOException {
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(fixture("v1-f4-le-2x3.npy"));
        both.write(fixture("v1-f4-be-4.npy"));
        InputStream in = new ByteArrayInputStream(both.toByteArray());
        try (EagerBufferAllocator pool = new EagerBufferAllocator();
             Tensor first = Npy.read(in, pool);
             Tensor second = Npy.read(in, pool)) {
            assertEquals(Shape.of(2, 3), first.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4}, second.toFloatArray());
            assertEquals(-1, in.read(), "nothing left over");
        }
    }

    @Test
    void writesTheSameBytesAsToAFile() throws IOException {
        byte[] numpy = fixture("v1-f4-le-2x3.npy");
        try (Tensor t = Npy.read(FIXTURES.resolve("v1-f4-le-2x3.npy"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(out, t);
            assertArrayEquals(numpy, out.toByteArray());
            assertEquals(numpy.length, Npy.encodedSize(t.type()));
            ByteBuffer buffer = ByteBuffer.allocateDirect(numpy.length + 5);
            buffer.position(5);
            Npy.write(buffer, t);
            assertEquals(numpy.length + 5, buffer.position());
            byte[] written = new byte[numpy.length];
            buffer.get(5, written);
            assertArrayEquals(numpy, written);
        }
        try (Tensor t = Npy.read(FIXTURES.resolve("v2-f8-be-3.npy"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(Channels.newChannel(out), t, 2, ByteOrder.BIG_ENDIAN);
            assertArrayEquals(fixture("v2-f8-be-3.npy"), out.toByteArray());
        }
    }

    @Test
    void aBufferTooSmallIsRefusedBeforeAnythingIsWritten() {
        try (Tensor t = Tensor.copyOf(new float[6], Shape.of(2, 3))) {
            ByteBuffer small = ByteBuffer.allocate(100);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.write(small, t));
            assertTrue(e.getMessage().startsWith("out: expected at least 152 remaining bytes"), e.getMessage());
            assertEquals(0, small.position());
        }
    }

    @Test
    void writesChannelsLastTensorsInLogicalOrder() throws IOException {
        float[] values = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f;
        }
        try (Tensor nhwc = Tensor.copyOf(values, Shape.of(2, 3, 2, 2), Layout.CHANNELS_LAST)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(out, nhwc);
            try (EagerBufferAllocator pool = new EagerBufferAllocator();
                 Tensor back = Npy.read(new ByteArrayInputStream(out.toByteArray()), pool)) {
                assertEquals(Layout.NCHW, back.layout());
                assertArrayEquals(values, back.toFloatArray());
            }
        }
    }

    // ---- hostile input --------------------------------------------------------------------------------------

    @Test
    void aStreamCutInsideTheDataIsAnEofNamingTheShape() throws IOException {
        byte[] whole = fixture("v1-f4-le-2x3.npy");
        byte[] cut = Arrays.copyOf(whole, whole.length - 3);
        try (EagerBufferAllocator pool = new EagerBufferAllocator()) {
            EOFException e = assertThrows(EOFException.class, () -> Npy.read(new ByteArrayInputStream(cut), pool));
            assertEquals("stream: truncated: shape [2, 3] of float32 needs 24 bytes of data, the stream ended after 21",
                    e.getMessage());
            assertEquals(0, pool.stats().inUse(), "the tensor's memory went back to the pool");
            IllegalArgumentException fromBuffer = assertThrows(IllegalArgumentException.class,
                    () -> Npy.read(ByteBuffer.wrap(cut), pool));
            assertTrue(fromBuffer.getMessage().contains("truncated"), fromBuffer.getMessage());
        }
    }

    @Test
    void aStreamCutInsideTheHeaderIsAnEof() throws IOException {
        byte[] whole = fixture("v1-f4-le-2x3.npy");
        for (int length : new int[] {0, 5, 9, 10, 40}) {
            byte[] cut = Arrays.copyOf(whole, length);
            EOFException e = assertThrows(EOFException.class,
                    () -> Npy.readHeader(Channels.newChannel(new ByteArrayInputStream(cut))), "length " + length);
            assertTrue(e.getMessage().startsWith("stream: truncated:"), e.getMessage());
        }
    }

    @Test
    void anOversizedHeaderIsRefusedBeforeItIsRead() {
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        header.put(NpyHeaderParser.MAGIC).put((byte) 2).put((byte) 0).putInt(Integer.MAX_VALUE).flip();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.readHeader(Channels.newChannel(new ByteArrayInputStream(header.array()))));
        assertEquals("stream: header of 2147483647 bytes is longer than 1048576, not a plausible .npy header",
                e.getMessage());
    }

    @Test
    void wrongMagicWrongDtypeAndFortranOrderAreNamed() throws IOException {
        IllegalArgumentException magic = assertThrows(IllegalArgumentException.class,
                () -> Npy.read(ByteBuffer.wrap("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1)),
                        MemorySegment.ofArray(new byte[64])));
        assertTrue(magic.getMessage().startsWith("stream: wrong magic"), magic.getMessage());
        try (EagerBufferAllocator pool = new EagerBufferAllocator()) {
            IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                    () -> Npy.read(new ByteArrayInputStream(fixture("int32-4.npy")), pool));
            assertTrue(dtype.getMessage().startsWith("stream: unsupported dtype '<i4'"), dtype.getMessage());
            IllegalArgumentException fortran = assertThrows(IllegalArgumentException.class,
                    () -> Npy.read(new ByteArrayInputStream(fixture("fortran-f4-2x3.npy")), pool));
            assertTrue(fortran.getMessage().contains("Fortran order"), fortran.getMessage());
            assertEquals(0, pool.stats().inUse());
        }
    }

    @Test
    void aHugeShapeMeetsTheAllocatorsLimitNotAnOutOfMemoryError() {
        byte[] header = Npy.header(new TensorType(Shape.of(1L << 20, 1L << 20), DType.FLOAT32, Layout.NCHW), 0,
                ByteOrder.LITTLE_ENDIAN);
        try (EagerBufferAllocator capped = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("capped").withLimit(1 << 20))) {
            assertThrows(AllocationLimitException.class, () -> Npy.read(new ByteArrayInputStream(header), capped));
        }
    }

    @Test
    void aTargetTooSmallIsRefusedBeforeTheDataIsRead() throws IOException {
        byte[] file = fixture("v1-f4-le-2x3.npy");
        ByteArrayInputStream in = new ByteArrayInputStream(file);
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Npy.read(in, arena.allocate(16, 64)));
            assertEquals("target: stream holds [2, 3] of float32 (24 bytes), the segment has only 16 bytes",
                    e.getMessage());
            assertEquals(24, in.available(), "the data was left unread");
        }
    }
}
