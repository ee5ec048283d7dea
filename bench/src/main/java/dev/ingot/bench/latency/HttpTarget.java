package dev.ingot.bench.latency;

import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.io.Npy;
import dev.ingot.serve.IngotServer;
import dev.ingot.serve.ServeConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The service over loopback: an in-process {@link IngotServer} (warmed for the shape) and the JDK's HTTP client,
 * each request a {@code POST /v1/instance-norm/backward} of x and dy (the op path's work) answered with dx.
 */
final class HttpTarget implements Target {

    private final IngotServer server;
    private final HttpClient client;
    private final HttpRequest request;
    private final int threads;

    HttpTarget(Shape shape, int threads) throws IOException {
        this.threads = threads;
        this.server = IngotServer.start(ServeConfig.defaults().withPort(0).withThreads(threads)
                .withWarmShapes(List.of(shape)));
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        byte[] body = body(shape);
        this.request = HttpRequest.newBuilder(server.uri().resolve("v1/instance-norm/backward"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
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
        return new Caller() {
            @Override
            public void call() throws IOException, InterruptedException {
                HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() != 200) {
                    throw new IOException("the service answered " + response.statusCode());
                }
            }

            @Override
            public void close() {
                // the client is shared
            }
        };
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
