package dev.ingot.serve;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** A response body as a channel, through one transfer chunk. Not thread-safe. */
final class ResponseChannel implements WritableByteChannel {

    private final OutputStream out;
    private final byte[] chunk;

    ResponseChannel(OutputStream out, byte[] chunk) {
        this.out = out;
        this.chunk = chunk;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int total = src.remaining();
        while (src.hasRemaining()) {
            int n = Math.min(chunk.length, src.remaining());
            src.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
        return total;
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
