package dev.ingot.serve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A request body as a channel, through one transfer chunk, refusing to read past {@code limit} bytes so that a
 * client cannot make the service read (or set memory aside for) more than it allows. Not thread-safe.
 */
final class RequestChannel implements ReadableByteChannel {

    private final InputStream in;
    private final byte[] chunk;
    private final long limit;
    private long read;

    RequestChannel(InputStream in, byte[] chunk, long limit) {
        this.in = in;
        this.chunk = chunk;
        this.limit = limit;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
        if (n < 0) {
            return -1;
        }
        read += n;
        if (read > limit) {
            throw new BadRequestException("body is longer than the limit of " + limit + " bytes");
        }
        dst.put(chunk, 0, n);
        return n;
    }

    /** Bytes read so far. */
    long bytesRead() {
        return read;
    }

    /** True when the body has no byte left. */
    boolean atEnd() throws IOException {
        return in.read() < 0;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
        // the exchange closes the stream
    }
}
