package dev.ingot.runtime.io;

import dev.ingot.allocator.BufferAllocator;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The sequential side of {@link Npy}: a header and data read from, or written to, a channel in one pass, with no
 * seeking and no knowledge of the source's length. Data moves straight between the channel and the tensor's memory
 * when the byte order and layout allow it; otherwise through a bounded staging buffer.
 */
final class NpyStreams {

    /** Data moves in slices of at most this many bytes (a ByteBuffer holds at most 2 GiB). */
    private static final long SLICE = 1L << 30;
    /** Staging for byte-order conversion on write. */
    private static final int STAGING = 1 << 16;

    private NpyStreams() {
    }

    static Tensor read(String source, ReadableByteChannel in, BufferAllocator allocator) throws IOException {
        NpyHeader header = NpyHeaderParser.read(source, in);
        TensorType type = new TensorType(header.shape(), header.dtype(), Layout.NCHW);
        Tensor tensor = Tensor.allocate(type, allocator);
        try {
            readData(source, in, header, tensor.segment());
            return tensor;
        } catch (Throwable e) {
            tensor.close();
            throw e;
        }
    }

    static Tensor read(String source, ReadableByteChannel in, MemorySegment target) throws IOException {
        NpyHeader header = NpyHeaderParser.read(source, in);
        TensorType type = new TensorType(header.shape(), header.dtype(), Layout.NCHW);
        checkTarget(source, header, target);
        readData(source, in, header, target);
        return Tensor.wrap(target, type);
    }

    static void checkTarget(String source, NpyHeader header, MemorySegment target) {
        if (target == null) {
            throw new IllegalArgumentException("target: expected a segment, got null");
        }
        if (target.isReadOnly()) {
            throw new IllegalArgumentException("target: expected a writable segment, got a read-only one");
        }
        if (target.byteSize() < header.dataBytes()) {
            throw new IllegalArgumentException("target: " + source + " holds " + header.shape() + " of "
                    + header.dtype() + " (" + header.dataBytes() + " bytes), the segment has only "
                    + target.byteSize() + " bytes");
        }
        if (target.maxByteAlignment() < header.dtype().byteSize()) {
            throw new IllegalArgumentException("target: expected a segment aligned to " + header.dtype().byteSize()
                    + " bytes for " + header.dtype() + ", got alignment " + target.maxByteAlignment());
        }
    }

    /** Reads exactly the header's data bytes into {@code target} and puts them into native byte order. */
    static void readData(String source, ReadableByteChannel in, NpyHeader header, MemorySegment target)
            throws IOException {
        checkTarget(source, header, target);
        long bytes = header.dataBytes();
        for (long done = 0; done < bytes; ) {
            long n = Math.min(SLICE, bytes - done);
            ByteBuffer slice = target.asSlice(done, n).asByteBuffer();
            while (slice.hasRemaining()) {
                if (in.read(slice) < 0) {
                    throw new EOFException(source + ": truncated: shape " + header.shape() + " of "
                            + header.dtype() + " needs " + bytes + " bytes of data, the stream ended after "
                            + (done + slice.position()));
                }
            }
            done += n;
        }
        if (header.byteOrder() != ByteOrder.nativeOrder()) {
            ValueLayout element = header.dtype().valueLayout();
            MemorySegment data = target.asSlice(0, bytes);
            MemorySegment.copy(data, element.withOrder(header.byteOrder()), 0, data, element, 0,
                    header.shape().elementCount());
        }
    }

    /** Bytes that {@link #write} puts out for {@code type}: header (a multiple of 64 bytes) plus data. */
    static long encodedSize(TensorType type, int version) {
        return Npy.header(type, version, ByteOrder.LITTLE_ENDIAN).length
                + type.shape().elementCount() * type.dtype().byteSize();
    }

    static void write(WritableByteChannel out, Tensor tensor, int version, ByteOrder order) throws IOException {
        byte[] header = Npy.header(tensor.type(), version, order);
        // Everything that can refuse the tensor (closed, unbacked, its pipeline held elsewhere, no memory for a
        // conversion) happens before the first byte is written, and the data is read under the tensor's hold.
        Tensor dense = tensor.layout() == Layout.NCHW ? tensor : tensor.convertTo(Layout.NCHW);
        try {
            dense.withSegment(memory -> {
                MemorySegment data = memory.asSlice(0, dense.elementCount() * dense.dtype().byteSize());
                writeFully(out, ByteBuffer.wrap(header));
                if (order == ByteOrder.nativeOrder() && data.isNative()) {
                    for (long done = 0; done < data.byteSize(); done += SLICE) {
                        writeFully(out, data.asSlice(done, Math.min(SLICE, data.byteSize() - done))
                                .asByteBuffer());
                    }
                } else {
                    writeConverted(out, data, dense.dtype().valueLayout(), order);
                }
            });
        } finally {
            if (dense != tensor) {
                dense.close();
            }
        }
    }

    private static void writeConverted(WritableByteChannel out, MemorySegment data, ValueLayout element,
                                       ByteOrder order) throws IOException {
        long elementSize = element.byteSize();
        long count = data.byteSize() / elementSize;
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(STAGING, Math.max(elementSize, data.byteSize())));
        MemorySegment staging = MemorySegment.ofBuffer(buffer);
        long perChunk = buffer.capacity() / elementSize;
        for (long done = 0; done < count; done += perChunk) {
            long n = Math.min(perChunk, count - done);
            MemorySegment.copy(data, element, done * elementSize, staging, element.withOrder(order), 0, n);
            buffer.clear().limit((int) (n * elementSize));
            writeFully(out, buffer);
        }
    }

    static void writeFully(WritableByteChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** A readable channel over a buffer's remaining bytes; reading advances the buffer's position. */
    static final class BufferChannel implements ReadableByteChannel, WritableByteChannel {
        private final ByteBuffer buffer;

        BufferChannel(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (!buffer.hasRemaining()) {
                return -1;
            }
            int n = Math.min(dst.remaining(), buffer.remaining());
            dst.put(dst.position(), buffer, buffer.position(), n);
            dst.position(dst.position() + n);
            buffer.position(buffer.position() + n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            buffer.put(src);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
            // the buffer stays the caller's
        }
    }
}
