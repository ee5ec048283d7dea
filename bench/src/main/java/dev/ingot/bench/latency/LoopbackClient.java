package dev.ingot.bench.latency;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 client for the harness: one kept-alive connection, one pre-encoded request sent again and
 * again, the response read into a reused buffer. It allocates nothing per request, so the heap bytes the harness
 * counts per request are the server's, and its own overhead stays out of the latency. It understands exactly
 * what the service sends (a status line, headers with Content-Length, a body). Not thread-safe: one per caller.
 */
final class LoopbackClient implements AutoCloseable {

    private final InetSocketAddress address;
    private final ByteBuffer request;
    private final ByteBuffer response;
    private SocketChannel channel;

    LoopbackClient(InetSocketAddress address, ByteBuffer request, int maxResponseBytes) {
        this.address = address;
        this.request = request.asReadOnlyBuffer();
        this.response = ByteBuffer.allocateDirect(maxResponseBytes);
    }

    /** Sends the request and reads the whole response; returns the status code. */
    int exchange() throws IOException {
        if (channel == null) {
            channel = SocketChannel.open(address);
            channel.socket().setTcpNoDelay(true);
        }
        request.rewind();
        while (request.hasRemaining()) {
            channel.write(request);
        }
        response.clear();
        int headerEnd = -1;
        while (headerEnd < 0) {
            read();
            headerEnd = find(response, response.position());
        }
        int status = digits(9, 3);
        long length = contentLength(headerEnd);
        long total = headerEnd + 4 + length;
        if (total > response.capacity()) {
            throw new IOException("response of " + total + " bytes is larger than the client's buffer");
        }
        while (response.position() < total) {
            read();
        }
        return status;
    }

    private void read() throws IOException {
        if (channel.read(response) < 0) {
            throw new IOException("the server closed the connection");
        }
    }

    /** Index of the blank line ending the headers, or -1. */
    private static int find(ByteBuffer buffer, int end) {
        for (int i = 3; i < end; i++) {
            if (buffer.get(i) == '\n' && buffer.get(i - 1) == '\r' && buffer.get(i - 2) == '\n'
                    && buffer.get(i - 3) == '\r') {
                return i - 3;
            }
        }
        return -1;
    }

    private int digits(int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            value = value * 10 + (response.get(i) - '0');
        }
        return value;
    }

    /** The Content-Length header's value (case-insensitive name), or 0. */
    private long contentLength(int headerEnd) {
        byte[] name = "\ncontent-length:".getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = 0; i + name.length < headerEnd; i++) {
            for (int j = 0; j < name.length; j++) {
                if (Character.toLowerCase(response.get(i + j)) != name[j]) {
                    continue outer;
                }
            }
            long value = 0;
            for (int k = i + name.length; k < headerEnd; k++) {
                byte b = response.get(k);
                if (b >= '0' && b <= '9') {
                    value = value * 10 + (b - '0');
                } else if (b != ' ' || value > 0) {
                    break;
                }
            }
            return value;
        }
        return 0;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }

    /** The bytes of a {@code POST} of {@code body} to {@code path}, kept alive. */
    static ByteBuffer post(InetSocketAddress address, String path, byte[] body) {
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocateDirect(head.length + body.length);
        out.put(head).put(body).flip();
        return out;
    }
}
