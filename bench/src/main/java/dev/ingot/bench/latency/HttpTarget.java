package dev.ingot.bench.latency;

import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.io.Npy;
import dev.ingot.serve.IngotServer;
import dev.ingot.serve.ServeConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The service over loopback: an in-process {@link IngotServer} (warmed for the shape) and, per caller, a
 * kept-alive connection of a {@link LoopbackClient}, each request a {@code POST /v1/instance-norm/backward} of x and
 * dy (the op path's work) answered with dx.
 */
final class HttpTarget implements Target {

    private final IngotServer server;
    private final ByteBuffer request;
    private final int responseBytes;
    private final int threads;

    HttpTarget(Shape shape, int threads) throws IOException {
        this.threads = threads;
        this.server = IngotServer.start(ServeConfig.defaults().withPort(0).withThreads(threads)
                .withWarmShapes(List.of(shape)));
        InetSocketAddress address = new InetSocketAddress(server.uri().getHost(), server.port());
        this.request = LoopbackClient.post(address, "/v1/instance-norm/backward", body(shape));
        this.responseBytes = (int) Npy.encodedSize(TensorType.float32(shape.dims())) + 4096;
    }

    private static byte[] body(Shape shape) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Tensor x = Tensor.allocate(TensorType.float32(shape.dims()));
             Tensor dy = Tensor.allocate(TensorType.float32(shape.dims()))) {
            NormStep.fill(x, 1);
            NormStep.fill(dy, 2);
            Npy.write(out, x);
            Npy.write(out, dy);
        }
        return out.toByteArray();
    }

    @Override
    public Caller newCaller() {
        LoopbackClient client = new LoopbackClient(new InetSocketAddress(server.uri().getHost(), server.port()),
                request, responseBytes);
        return new Caller() {
            @Override
            public void call() throws IOException {
                int status = client.exchange();
                if (status != 200) {
                    throw new IOException("the service answered " + status);
                }
            }

            @Override
            public void close() throws IOException {
                client.close();
            }
        };
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void close() {
        server.close();
    }
}
