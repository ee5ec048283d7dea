package dev.ingot.runtime.io;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * NumPy {@code .npy} files: format versions 1.0, 2.0 and 3.0, dtypes float32 and float64 in either byte order,
 * C order. Fortran order, other dtypes, 0-d arrays and ranks above 8 are refused with a message saying what was
 * found.
 *
 * <p><b>Errors.</b> A bad file — wrong magic, unknown version, truncated, a header longer than the file or than
 * 1 MiB, a shape whose byte count overflows or exceeds the file, an unsupported dtype — gives an
 * {@link IllegalArgumentException} naming the file and the problem. Sizes are checked before anything is allocated,
 * so a hostile header can cause neither an {@link OutOfMemoryError} nor a hang. I/O failures are
 * {@link UncheckedIOException}s.
 *
 * <p><b>Ownership.</b> {@link #read} returns an owned copy in native byte order; {@link #map} returns a read-only
 * tensor over a mapping of the file, unmapped by the tensor's {@code close()}. Both are the caller's to close.
 *
 * <p>Stateless and thread-safe.
 */
public final class Npy {

    private static final int WRITE_CHUNK = 1 << 20;

    private Npy() {
    }

    /** Reads and checks the header only. */
    public static NpyHeader readHeader(Path file) {
        try (FileChannel channel = open(file)) {
            return NpyHeaderParser.read(file, channel);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * Reads a file into a new owned tensor (NCHW layout, the file's dtype, native byte order: big-endian data is
     * converted while copying). The caller closes the tensor.
     */
    public static Tensor read(Path file) {
        try (FileChannel channel = open(file)) {
            NpyHeader header = NpyHeaderParser.read(file, channel);
            Tensor tensor = Tensor.allocate(new TensorType(header.shape(), header.dtype(), Layout.NCHW));
            try {
                MemorySegment memory = tensor.segment();
                long at = header.dataOffset();
                for (long done = 0; done < memory.byteSize(); ) {
                    long n = Math.min(1L << 30, memory.byteSize() - done);
                    NpyHeaderParser.readFully(file, channel, memory.asSlice(done, n).asByteBuffer(), at + done);
                    done += n;
                }
                if (header.byteOrder() != ByteOrder.nativeOrder()) {
                    ValueLayout element = header.dtype().valueLayout();
                    MemorySegment.copy(memory, element.withOrder(header.byteOrder()), 0, memory, element, 0,
                            header.shape().elementCount());
                }
                return tensor;
            } catch (RuntimeException e) {
                tensor.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * Maps a file read-only and returns a read-only tensor over its data, without copying. Closing the tensor
     * unmaps the file. The data must be in native byte order: a file in the other order is refused (use
     * {@link #read}, which converts by copying).
     */
    public static Tensor map(Path file) {
        try (FileChannel channel = open(file)) {
            NpyHeader header = NpyHeaderParser.read(file, channel);
            if (header.byteOrder() != ByteOrder.nativeOrder()) {
                throw NpyHeaderParser.bad(file, "holds " + byteOrderName(header.byteOrder()) + " "
                        + header.dtype() + " data; map() needs native " + byteOrderName(ByteOrder.nativeOrder())
                        + " order: use Npy.read(), which converts by copying");
            }
            TensorType type = new TensorType(header.shape(), header.dtype(), Layout.NCHW);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment mapped = header.dataBytes() == 0 ? arena.allocate(0, 64).asReadOnly()
                        : channel.map(FileChannel.MapMode.READ_ONLY, header.dataOffset(), header.dataBytes(), arena);
                if (mapped.maxByteAlignment() < header.dtype().byteSize()) {
                    throw NpyHeaderParser.bad(file, "data at offset " + header.dataOffset() + " is not aligned to "
                            + header.dtype().byteSize() + " bytes, so it cannot be mapped: use Npy.read()");
                }
                return Tensor.wrap(mapped, type, arena::close);
            } catch (RuntimeException | IOException e) {
                arena.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file, e);
        }
    }

    /** Writes {@code tensor} as a little-endian, C-order file of the smallest format version that fits. */
    public static void write(Path file, Tensor tensor) {
        write(file, tensor, 0, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes {@code tensor} (any layout; written in logical C order) with format version {@code version} (1, 2
     * or 3; 0 picks the smallest that fits) and the given byte order. The data goes to a temporary file in the
     * same directory that is renamed over {@code file} once complete, so a crash never leaves half a file.
     *
     * @throws IllegalArgumentException for an unknown version, or a header too long for version 1
     */
    public static void write(Path file, Tensor tensor, int version, ByteOrder order) {
        if (version < 0 || version > 3) {
            throw new IllegalArgumentException("version: expected 1, 2, 3 or 0 (automatic), got " + version);
        }
        byte[] header = header(tensor.type(), version, order);
        Path dir = file.toAbsolutePath().getParent();
        Path temp = null;
        try {
            temp = createSibling(dir, file);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, ByteBuffer.wrap(header));
                writeData(out, tensor, order);
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the original failure matters more
                }
            }
        }
    }

    /** Opens a regular file for reading; a pipe or device could block or never end, so it is refused. */
    private static FileChannel open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw Files.exists(file) ? NpyHeaderParser.bad(file, "not a regular file")
                    : new UncheckedIOException(new NoSuchFileException(file.toString()));
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    /**
     * Creates the temporary file next to {@code file}. Unlike {@link Files#createTempFile} it gets the default
     * permissions, so the renamed file looks like any other the process writes.
     */
    private static Path createSibling(Path dir, Path file) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path candidate = dir.resolve("." + file.getFileName() + "." + Long.toHexString(
                    ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 9) {
                    throw e;
                }
            }
        }
    }

    /** The full header (magic to padding) for a type; total length a multiple of 64 as NumPy writes it. */
    static byte[] header(TensorType type, int version, ByteOrder order) {
        StringBuilder dict = new StringBuilder("{'descr': '");
        dict.append(order == ByteOrder.BIG_ENDIAN ? '>' : '<').append(type.dtype() == DType.FLOAT32 ? "f4" : "f8");
        dict.append("', 'fortran_order': False, 'shape': ").append(shapeLiteral(type.shape())).append(", }");
        byte[] body = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        int chosen = version != 0 ? version : body.length + 1 + 10 <= 65535 ? 1 : 2;
        int prefix = chosen == 1 ? 10 : 12;
        int total = (prefix + body.length + 1 + 63) / 64 * 64;
        int headerLength = total - prefix;
        if (chosen == 1 && headerLength > 65535) {
            throw new IllegalArgumentException("version: header of " + headerLength
                    + " bytes does not fit format version 1; use 2 or 3");
        }
        ByteBuffer out = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        out.put(NpyHeaderParser.MAGIC).put((byte) chosen).put((byte) 0);
        if (chosen == 1) {
            out.putShort((short) headerLength);
        } else {
            out.putInt(headerLength);
        }
        out.put(body);
        while (out.position() < total - 1) {
            out.put((byte) ' ');
        }
        out.put((byte) '\n');
        return out.array();
    }

    private static void writeData(FileChannel out, Tensor tensor, ByteOrder order) throws IOException {
        Tensor dense = tensor.layout() == Layout.NCHW ? tensor : tensor.convertTo(Layout.NCHW);
        try {
            MemorySegment data = dense.segment();
            ValueLayout element = dense.dtype().valueLayout();
            long elementSize = element.byteSize();
            long count = dense.elementCount();
            ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_CHUNK);
            MemorySegment staging = MemorySegment.ofBuffer(buffer);
            long perChunk = WRITE_CHUNK / elementSize;
            for (long done = 0; done < count; done += perChunk) {
                long n = Math.min(perChunk, count - done);
                MemorySegment.copy(data, element, done * elementSize, staging, element.withOrder(order), 0, n);
                buffer.clear().limit((int) (n * elementSize));
                writeFully(out, buffer);
            }
        } finally {
            if (dense != tensor) {
                dense.close();
            }
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private static String byteOrderName(ByteOrder order) {
        return order == ByteOrder.BIG_ENDIAN ? "big-endian" : "little-endian";
    }

    /** Shapes of rank 1 are written as NumPy does: {@code (5,)}. */
    static String shapeLiteral(Shape shape) {
        long[] dims = shape.dims();
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            sb.append(dims[i]).append(dims.length == 1 ? "," : i < dims.length - 1 ? ", " : "");
        }
        return sb.append(')').toString();
    }
}
