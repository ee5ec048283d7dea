package dev.ingot.runtime.io;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files made by NumPy 2.4 ({@code numpy.lib.format.write_array}) and hand-made bad files. */
class NpyTest {

    private static final Path FIXTURES = Path.of("src/test/resources/npy");

    @TempDir
    Path dir;

    @Test
    void readsNumpyFilesOfEveryVersionAndByteOrder() {
        try (Tensor t = Npy.read(FIXTURES.resolve("v1-f4-le-2x3.npy"))) {
            assertEquals(new TensorType(Shape.of(2, 3), DType.FLOAT32, Layout.NCHW), t.type());
            assertArrayEquals(new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f}, t.toFloatArray());
        }
        try (Tensor t = Npy.read(FIXTURES.resolve("v2-f8-be-3.npy"))) {
            assertEquals(DType.FLOAT64, t.dtype());
            assertArrayEquals(new double[] {1.5, -2.25, 1e-300}, t.toDoubleArray());
        }
        try (Tensor t = Npy.read(FIXTURES.resolve("v3-f4-le-2x2x2.npy"))) {
            float[] expected = new float[8];
            for (int i = 0; i < 8; i++) {
                expected[i] = (float) i / 3f;
            }
            assertArrayEquals(expected, t.toFloatArray());
            assertEquals(3, Npy.readHeader(FIXTURES.resolve("v3-f4-le-2x2x2.npy")).majorVersion());
        }
        try (Tensor t = Npy.read(FIXTURES.resolve("v1-f4-be-4.npy"))) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, t.toFloatArray());
        }
    }

    @Test
    void writesWhatNumpyWrites() throws IOException {
        Path ours = dir.resolve("ours.npy");
        try (Tensor t = Npy.read(FIXTURES.resolve("v1-f4-le-2x3.npy"))) {
            Npy.write(ours, t);
        }
        assertArrayEquals(Files.readAllBytes(FIXTURES.resolve("v1-f4-le-2x3.npy")), Files.readAllBytes(ours));
        Path big = dir.resolve("big-endian.npy");
        try (Tensor t = Npy.read(FIXTURES.resolve("v2-f8-be-3.npy"))) {
            Npy.write(big, t, 2, ByteOrder.BIG_ENDIAN);
        }
        assertArrayEquals(Files.readAllBytes(FIXTURES.resolve("v2-f8-be-3.npy")), Files.readAllBytes(big));
    }

    @Test
    void mapIsZeroCopyAndReadOnly() {
        Path file = FIXTURES.resolve("v1-f4-le-2x3.npy");
        Tensor t = Npy.map(file);
        assertTrue(t.isReadOnly());
        assertArrayEquals(new float[] {-1, -0.5f, 0, 0.5f, 1, 1.5f}, t.toFloatArray());
        assertThrows(IllegalStateException.class, () -> t.copyFrom(new float[6]));
        assertThrows(IllegalArgumentException.class, () -> t.segment().set(ValueLayout.JAVA_FLOAT, 0, 1f));
        var segment = t.segment();
        t.close();
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_FLOAT, 0), "unmapped");
    }

    @Test
    void mapRefusesForeignByteOrder() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.map(FIXTURES.resolve("v1-f4-be-4.npy")));
        assertTrue(e.getMessage().contains("v1-f4-be-4.npy") && e.getMessage().contains("big-endian")
                && e.getMessage().contains("Npy.read"), e.getMessage());
    }

    @Test
    void refusesWhatItCannotRepresentSayingWhatItFound() {
        assertBad(FIXTURES.resolve("fortran-f4-2x3.npy"), "Fortran order");
        assertBad(FIXTURES.resolve("int32-4.npy"), "'<i4'");
        assertBad(FIXTURES.resolve("scalar-f4.npy"), "0-d");
    }

    @Test
    void badFilesNameTheFileAndTheProblem() throws IOException {
        assertBad(file("empty.npy", new byte[0]), "truncated");
        assertBad(file("magic.npy", "PK\u0003\u0004 not numpy at all".getBytes(StandardCharsets.ISO_8859_1)),
                "wrong magic");
        byte[] good = Files.readAllBytes(FIXTURES.resolve("v1-f4-le-2x3.npy"));
        assertBad(file("prefix.npy", Arrays.copyOf(good, 11)), "runs past the end");
        assertBad(file("data.npy", Arrays.copyOf(good, good.length - 1)), "truncated");
        byte[] version = good.clone();
        version[6] = 9;
        assertBad(file("version.npy", version), "version 9.0");
        byte[] longHeader = good.clone();
        longHeader[8] = (byte) 0xff;
        longHeader[9] = (byte) 0xff;
        assertBad(file("long-header.npy", longHeader), "runs past the end");
        assertBad(file("overflow.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,"
                + " 4), }", 0)), "overflows");
        assertBad(file("overflow-dim.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape':"
                + " (99999999999999999999,), }", 0)), "overflows");
        assertBad(file("too-big.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }",
                8)), "needs 4000000000 bytes");
        assertBad(file("malformed.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", 24)),
                "shape");
        assertBad(file("garbage.npy", npy(1, "not a dict at all", 0)), "malformed header");
        assertBad(file("no-shape.npy", npy(1, "{'descr': '<f4', 'fortran_order': False}", 0)), "'shape'");
        assertBad(file("rank9.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1),"
                + " }", 4)), "rank 9");
        assertBad(file("structured.npy", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                4)), "structured");
    }

    @Test
    void directoriesAndMissingFilesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(dir));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertThrows(java.io.UncheckedIOException.class, () -> Npy.read(dir.resolve("missing.npy")));
    }

    @Test
    void hugeHeaderLengthIsRefusedWithoutReadingIt() throws IOException {
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0, 0};
        ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0x7fff_ffff);
        assertBad(file("huge-header.npy", prefix), "runs past the end");
        Path sparse = dir.resolve("sparse.npy");
        Files.write(sparse, prefix);
        ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 3 << 20);
        try (var channel = java.nio.channels.FileChannel.open(sparse, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(prefix), 0);
            channel.write(ByteBuffer.wrap(new byte[] {'\n'}), (3 << 20) + 12);
        }
        assertBad(sparse, "not a plausible");
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path target = dir.resolve("out.npy");
        try (Tensor a = Tensor.copyOf(new float[] {1, 2, 3}, Shape.of(3));
             Tensor b = Tensor.copyOf(new float[] {4, 5}, Shape.of(2))) {
            Npy.write(target, a);
            Npy.write(target, b);
        }
        try (Tensor back = Npy.read(target)) {
            assertArrayEquals(new float[] {4, 5}, back.toFloatArray());
        }
        try (var files = Files.list(dir)) {
            assertEquals(java.util.List.of(target), files.toList());
        }
        try (Tensor a = Tensor.copyOf(new float[] {1}, Shape.of(1))) {
            assertThrows(java.io.UncheckedIOException.class, () -> Npy.write(dir.resolve("no/such/dir/x.npy"), a));
        }
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void writesOtherLayoutsInLogicalOrder() {
        float[] data = new float[2 * 5 * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        Path file = dir.resolve("layouts.npy");
        for (Layout layout : Layout.values()) {
            try (Tensor t = Tensor.copyOf(data, Shape.of(2, 5, 3), layout)) {
                Npy.write(file, t);
            }
            try (Tensor back = Npy.read(file)) {
                assertEquals(Shape.of(2, 5, 3), back.shape());
                assertArrayEquals(data, back.toFloatArray(), layout.toString());
            }
        }
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    /** A version-1 file with this header text and {@code dataBytes} zero bytes of data. */
    static byte[] npy(int version, String dict, int dataBytes) {
        byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        out.putShort((short) text.length).put(text);
        return out.array();
    }

    private static void assertBad(Path file, String problem) {
        for (Runnable action : new Runnable[] {() -> Npy.read(file).close(), () -> Npy.map(file).close()}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(problem), "expected '" + problem + "' in: " + e.getMessage());
        }
    }
}
