package dev.ingot.runtime.io;

import dev.ingot.runtime.DType;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import dev.ingot.allocator.BufferAllocator;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
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
 * <p><b>Ownership.</b> {@link #read(Path)} returns an owned copy in native byte order; {@link #map} returns a
 * read-only tensor over a mapping of the file, unmapped by the tensor's {@code close()}. Both are the caller's to
 * close.
 *
 * <p><b>Streams, channels and buffers.</b> {@code read(ReadableByteChannel | InputStream | ByteBuffer, ...)} read
 * one array sequentially (exactly its bytes, nothing after it) into memory from a caller's {@link BufferAllocator}
 * (for example a pooled one) or into a caller's {@link MemorySegment}; {@link #readHeader(ReadableByteChannel)} and
 * {@link #readData} split that in two so a service can check the shape before it sets memory aside. Their data
 * goes from the channel into the tensor's memory with no intermediate copy when it is in native byte order.
 * Stream errors: a source that ends early is an {@link EOFException} (an {@link IOException}), a malformed header
 * or unsupported dtype an {@link IllegalArgumentException}, both naming the problem; for a {@code ByteBuffer}
 * everything is an {@link IllegalArgumentException}. {@code write(WritableByteChannel | OutputStream | ByteBuffer,
 * Tensor)} write one array and never close, flush or force anything.
 *
 * <p><b>Durability.</b> Only {@link #write(Path, Tensor)} forces data to disk ({@code fsync}) before it renames the
 * temporary file into place: without that, a crash shortly after the rename can leave an empty or partial file
 * under the final name on common file systems, defeating the atomic rename; after the rename it forces the folder
 * too (where the platform allows), so the rename itself survives a crash. Streams and channels are not forced:
 * the data may be going to a socket or a pipe, and an owner who writes a file through a channel decides when to
 * call {@link FileChannel#force}.
 *
 * <p><b>Nothing half-written.</b> Every write checks the tensor (open, backed, not held by another thread's
 * pipeline, convertible) before its first byte, and reads the data while holding the tensor's pipeline
 * ({@link Tensor#withSegment}), so no other thread's run can change it mid-write.
 *
 * <p>Stateless and thread-safe.
 */
public final class Npy {

    private static final int WRITE_CHUNK = 1 << 20;
    /** How stream sources are named in messages. */
    private static final String STREAM = "stream";

    private Npy() {
    }

    /**
     * Reads and checks the header only.
     *
     * @param file the .npy file
     * @return the header
     */
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
     *
     * @param file the .npy file
     * @return the tensor; the caller closes it
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
            } catch (Throwable e) {
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
     *
     * @param file the .npy file
     * @return the read-only tensor; closing it unmaps the file
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
            } catch (Throwable e) {
                arena.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file, e);
        }
    }

    /**
     * Writes {@code tensor} as a little-endian, C-order file of the smallest format version that fits. The data is
     * forced to disk before the temporary file is renamed over {@code file}, so after a crash the file is either
     * the old one or the complete new one. For output that need not survive a crash (a socket, a scratch file)
     * use {@link #write(WritableByteChannel, Tensor)}, which does not force.
     *
     * @param file   where to write
     * @param tensor the tensor, any layout
     */
    public static void write(Path file, Tensor tensor) {
        write(file, tensor, 0, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes {@code tensor} (any layout; written in logical C order) with format version {@code version} (1, 2
     * or 3; 0 picks the smallest that fits) and the given byte order. The data goes to a temporary file in the
     * same directory that is renamed over {@code file} once complete, so a crash never leaves half a file.
     *
     * @param file the .npy file
     * @param tensor the tensor to write
     * @param version the format version, 1 to 3, or 0 for the smallest that fits
     * @param order the byte order of the written data
     * @throws IllegalArgumentException for an unknown version, or a header too long for version 1
     */
    public static void write(Path file, Tensor tensor, int version, ByteOrder order) {
        checkVersion(version);
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
            forceDirectory(dir);
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

    // ---- streams, channels and buffers ------------------------------------------------------------------------

    /**
     * Reads and checks a header from a channel, consuming exactly the header: the channel is then at the first
     * data byte, for {@link #readData}. Use it on untrusted input to check the shape and dtype (and so the bytes
     * that will be needed) before any memory is set aside for the data.
     *
     * @param in the channel, positioned at the magic
     * @return the header; {@link NpyHeader#dataOffset()} is the header's length
     * @throws EOFException             when the channel ends inside the header
     * @throws IllegalArgumentException for a malformed header, an unsupported dtype or a header over 1 MiB
     * @throws IOException              when reading fails
     */
    public static NpyHeader readHeader(ReadableByteChannel in) throws IOException {
        return NpyHeaderParser.read(STREAM, requireNonNull(in, "in"));
    }

    /**
     * Reads the data that follows {@code header} into the first {@link NpyHeader#dataBytes()} bytes of
     * {@code target}, in the header's C order, and converts it to native byte order in place.
     *
     * @param in     the channel, positioned just after the header
     * @param header the header read from it by {@link #readHeader(ReadableByteChannel)}
     * @param target writable memory of at least {@code header.dataBytes()} bytes, aligned to the element size
     * @throws EOFException             when the channel ends before the data does
     * @throws IllegalArgumentException when {@code target} is too small, read-only or misaligned
     * @throws IOException              when reading fails
     */
    public static void readData(ReadableByteChannel in, NpyHeader header, MemorySegment target) throws IOException {
        NpyStreams.readData(STREAM, requireNonNull(in, "in"), requireNonNull(header, "header"), target);
    }

    /**
     * Reads one array from a channel into a new tensor in memory from {@code allocator} (NCHW, native byte order);
     * the tensor's {@code close()} gives the memory back. Reads exactly the array's bytes, so several arrays can
     * follow each other in one stream. The data's bytes are set aside once the header is read: give an allocator
     * with a limit, or check {@link #readHeader} first, when the input is untrusted.
     *
     * @param in        the channel, positioned at the magic
     * @param allocator an allocator that hands out memory at once (an eager pool, not a deferred planner)
     * @return the tensor, the caller's to close
     * @throws EOFException             when the channel ends early
     * @throws IllegalArgumentException for a malformed header or an unsupported dtype
     * @throws IOException              when reading fails
     */
    public static Tensor read(ReadableByteChannel in, BufferAllocator allocator) throws IOException {
        return NpyStreams.read(STREAM, requireNonNull(in, "in"), requireNonNull(allocator, "allocator"));
    }

    /**
     * Reads one array from a channel into the caller's memory and returns a tensor over it (NCHW, native byte
     * order). The caller keeps owning {@code target}; closing the tensor does not free it.
     *
     * @param in     the channel, positioned at the magic
     * @param target writable memory large enough for the array's data, aligned to its element size
     * @return a tensor over the first bytes of {@code target}
     * @throws EOFException             when the channel ends early
     * @throws IllegalArgumentException for a malformed header, an unsupported dtype, or a target too small, read-only
     *                                  or misaligned (checked before any data is read)
     * @throws IOException              when reading fails
     */
    public static Tensor read(ReadableByteChannel in, MemorySegment target) throws IOException {
        return NpyStreams.read(STREAM, requireNonNull(in, "in"), target);
    }

    /**
     * Reads one array from a stream into memory from {@code allocator}; as {@link #read(ReadableByteChannel,
     * BufferAllocator)}. The stream is read through a small transfer buffer, never one the size of the data, and
     * is not closed.
     *
     * @param in        the stream, positioned at the magic
     * @param allocator an allocator that hands out memory at once
     * @return the tensor, the caller's to close
     * @throws EOFException             when the stream ends early
     * @throws IllegalArgumentException for a malformed header or an unsupported dtype
     * @throws IOException              when reading fails
     */
    public static Tensor read(InputStream in, BufferAllocator allocator) throws IOException {
        return read(Channels.newChannel(requireNonNull(in, "in")), allocator);
    }

    /**
     * Reads one array from a stream into the caller's memory; as {@link #read(ReadableByteChannel, MemorySegment)}.
     *
     * @param in     the stream, positioned at the magic
     * @param target writable memory large enough for the array's data
     * @return a tensor over the first bytes of {@code target}
     * @throws EOFException             when the stream ends early
     * @throws IllegalArgumentException for a malformed header, an unsupported dtype or an unfit target
     * @throws IOException              when reading fails
     */
    public static Tensor read(InputStream in, MemorySegment target) throws IOException {
        return read(Channels.newChannel(requireNonNull(in, "in")), target);
    }

    /**
     * Reads one array from a buffer's remaining bytes into memory from {@code allocator}, advancing the buffer's
     * position past it. A buffer that ends early is malformed input, so every problem is an
     * {@link IllegalArgumentException}.
     *
     * @param in        the buffer (heap or direct), positioned at the magic
     * @param allocator an allocator that hands out memory at once
     * @return the tensor, the caller's to close
     * @throws IllegalArgumentException for a truncated or malformed array or an unsupported dtype
     */
    public static Tensor read(ByteBuffer in, BufferAllocator allocator) {
        try {
            return read(new NpyStreams.BufferChannel(requireNonNull(in, "in")), allocator);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Reads one array from a buffer's remaining bytes into the caller's memory, advancing the buffer's position.
     *
     * @param in     the buffer, positioned at the magic
     * @param target writable memory large enough for the array's data
     * @return a tensor over the first bytes of {@code target}
     * @throws IllegalArgumentException for a truncated or malformed array, an unsupported dtype or an unfit target
     */
    public static Tensor read(ByteBuffer in, MemorySegment target) {
        try {
            return read(new NpyStreams.BufferChannel(requireNonNull(in, "in")), target);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The number of bytes {@link #write(WritableByteChannel, Tensor)} puts out for a tensor of {@code type}
     * (for a {@code Content-Length}, or to size a buffer).
     *
     * @param type the tensor's type
     * @return header plus data bytes
     */
    public static long encodedSize(TensorType type) {
        return NpyStreams.encodedSize(requireNonNull(type, "type"), 0);
    }

    /**
     * Writes {@code tensor} to a channel as a little-endian, C-order array of the smallest format version that
     * fits. On a little-endian machine a dense NCHW tensor goes from its memory to the channel without a copy.
     * Nothing is forced to disk: durability is the owner's of the channel (see {@link #write(Path, Tensor)}).
     *
     * @param out    the channel; not closed
     * @param tensor the tensor, any layout (written in logical C order)
     * @throws IOException when writing fails
     */
    public static void write(WritableByteChannel out, Tensor tensor) throws IOException {
        write(out, tensor, 0, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes {@code tensor} to a channel with format version {@code version} (1, 2 or 3; 0 picks the smallest
     * that fits) and the given byte order.
     *
     * @param out     the channel; not closed
     * @param tensor  the tensor, any layout
     * @param version format version, or 0
     * @param order   byte order of the data written
     * @throws IllegalArgumentException for an unknown version, or a header too long for version 1
     * @throws IOException              when writing fails
     */
    public static void write(WritableByteChannel out, Tensor tensor, int version, ByteOrder order)
            throws IOException {
        checkVersion(version);
        NpyStreams.write(requireNonNull(out, "out"), requireNonNull(tensor, "tensor"), version,
                requireNonNull(order, "order"));
    }

    /**
     * Writes {@code tensor} to a stream as {@link #write(WritableByteChannel, Tensor)} does; the stream is neither
     * flushed nor closed.
     *
     * @param out    the stream
     * @param tensor the tensor, any layout
     * @throws IOException when writing fails
     */
    public static void write(OutputStream out, Tensor tensor) throws IOException {
        write(Channels.newChannel(requireNonNull(out, "out")), tensor);
    }

    /**
     * Writes {@code tensor} into a buffer at its position, advancing it by {@link #encodedSize} bytes.
     *
     * @param out    the buffer
     * @param tensor the tensor, any layout
     * @throws IllegalArgumentException when the buffer has fewer remaining bytes than needed (nothing is written)
     */
    public static void write(ByteBuffer out, Tensor tensor) {
        requireNonNull(out, "out");
        long needed = encodedSize(requireNonNull(tensor, "tensor").type());
        if (out.remaining() < needed) {
            throw new IllegalArgumentException("out: expected at least " + needed + " remaining bytes for "
                    + tensor.type() + ", got " + out.remaining());
        }
        try {
            NpyStreams.write(new NpyStreams.BufferChannel(out), tensor, 0, ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a buffer does not fail
        }
    }

    private static void checkVersion(int version) {
        if (version < 0 || version > 3) {
            throw new IllegalArgumentException("version: expected 1, 2, 3 or 0 (automatic), got " + version);
        }
    }

    private static <T> T requireNonNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": expected non-null, got null");
        }
        return value;
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
     * Forces a folder's entries to disk, so that a rename into it survives a crash too. Best effort: some file
     * systems and platforms cannot open a folder for this, and the data itself was already forced.
     */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the file's data is on disk; only the rename's durability is left to the file system
        }
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
            ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_CHUNK);
            dense.withSegment(data -> { // read under the tensor's hold: no other thread's run tears the copy
                ValueLayout element = dense.dtype().valueLayout();
                long elementSize = element.byteSize();
                long count = dense.elementCount();
                MemorySegment staging = MemorySegment.ofBuffer(buffer);
                long perChunk = WRITE_CHUNK / elementSize;
                for (long done = 0; done < count; done += perChunk) {
                    long n = Math.min(perChunk, count - done);
                    MemorySegment.copy(data, element, done * elementSize, staging, element.withOrder(order), 0, n);
                    buffer.clear().limit((int) (n * elementSize));
                    writeFully(out, buffer);
                }
            });
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
