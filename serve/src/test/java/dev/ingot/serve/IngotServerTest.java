package dev.ingot.serve;

import dev.ingot.allocator.EagerBufferAllocator;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.io.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The service driven by a real HTTP client over loopback, on an ephemeral port. */
class IngotServerTest {

    private static final double EPS = 1e-5;
    private static IngotServer server;
    private static HttpClient client;

    @BeforeAll
    static void start() throws IOException {
        server = IngotServer.start(ServeConfig.defaults().withPort(0).withThreads(1).withMaxBodyBytes(1 << 20)
                .withWarmShapes(java.util.List.of(Shape.of(1, 2, 3, 3))));
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        server.close();
        client.close();
    }

    @Test
    void forwardMatchesAFloat64Reference() throws Exception {
        long[] dims = {2, 3, 5, 7};
        float[] x = random(dims, 1, 3.0, 10.0);
        HttpResponse<byte[]> response = post("v1/instance-norm/forward", npy(x, dims));
        assertEquals(200, response.statusCode(), () -> new String(response.body()));
        float[] y = floats(response.body(), dims);
        double[] expected = referenceForward(x, dims);
        assertClose(expected, y);
    }

    @Test
    void backwardMatchesAFloat64Reference() throws Exception {
        long[] dims = {2, 4, 6, 6};
        float[] x = random(dims, 2, 2.0, -1.0);
        float[] dy = random(dims, 3, 1.0, 0.5);
        HttpResponse<byte[]> response = post("v1/instance-norm/backward", concat(npy(x, dims), npy(dy, dims)));
        assertEquals(200, response.statusCode(), () -> new String(response.body()));
        assertClose(referenceBackward(x, dy, dims), floats(response.body(), dims));
    }

    @Test
    void badBodiesGet400WithOneLineAndNoStackTrace() throws Exception {
        long[] dims = {1, 2, 3, 3};
        byte[] good = npy(new float[18], dims);
        assertBadRequest(post("v1/instance-norm/forward", "GET / HTTP/1.1\r\n\r\n".getBytes()), "wrong magic");
        assertBadRequest(post("v1/instance-norm/forward", Arrays.copyOf(good, good.length - 4)), "truncated");
        assertBadRequest(post("v1/instance-norm/forward", Arrays.copyOf(good, 20)), "truncated");
        assertBadRequest(post("v1/instance-norm/forward", concat(good, new byte[3])), "body continues");
        try (Tensor doubles = Tensor.copyOf(new double[18], Shape.of(dims))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(out, doubles);
            assertBadRequest(post("v1/instance-norm/forward", out.toByteArray()), "expected float32");
        }
        assertBadRequest(post("v1/instance-norm/forward", npy(new float[6], new long[] {2, 3})), "expected rank 3");
        assertBadRequest(post("v1/instance-norm/backward", concat(good, npy(new float[18], new long[] {1, 2, 9}))),
                "dy: expected the shape of x");
        assertBadRequest(post("v1/instance-norm/forward", npy(new float[300_000], new long[] {1, 3, 100_000})),
                "limit of 1048576");
        byte[] small = npy(new float[1], new long[] {1, 1, 1});
        String header = new String(small, 0, small.length - 4, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(header.contains("(1, 1, 1), }     "), header);
        byte[] lying = header.replace("(1, 1, 1), }     ", "(9999, 99, 99), }")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertBadRequest(post("v1/instance-norm/forward", lying), "longer than the limit");
    }

    @Test
    void otherMethodsAndPathsAreRefusedPlainly() throws Exception {
        HttpResponse<byte[]> get = client.send(HttpRequest.newBuilder(uri("v1/instance-norm/forward"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(405, get.statusCode());
        HttpResponse<byte[]> missing = post("v2/nothing", new byte[1]);
        assertEquals(404, missing.statusCode());
    }

    @Test
    void healthAndPrometheusMetrics() throws Exception {
        post("v1/instance-norm/forward", npy(random(new long[] {1, 2, 3, 3}, 4, 1, 0), new long[] {1, 2, 3, 3}));
        assertEquals("ok\n", get("health"));
        String metrics = get("metrics");
        assertTrue(metrics.contains("ingot_pool_acquisitions_total{pool=\"forward\"}"), metrics);
        assertTrue(metrics.contains("ingot_budget_memory_bytes{budget=\"backend\",state=\"reserved\"}"), metrics);
        assertTrue(metrics.contains("ingot_serve_requests_seconds_count{kind=\"forward\",status=\"200\"}"),
                metrics);
        assertTrue(metrics.contains("jvm_gc_"), "JVM meters are bound too");
    }

    /** One pipeline and no queue: a request arriving while another holds the pipeline is refused with 503. */
    @Test
    void overloadGets503FromTheBoundedQueue() throws Exception {
        try (IngotServer small = IngotServer.start(ServeConfig.defaults().withPort(0).withPipelinesPerShape(1)
                .withQueue(0, Duration.ofSeconds(5)))) {
            long[] dims = {1, 2, 64, 64};
            byte[] body = npy(random(dims, 5, 1, 0), dims);
            // A client that sends its headers and half its body, then stalls: it holds the only pipeline.
            try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), small.port())) {
                slow.setSoTimeout(30_000);
                OutputStream out = slow.getOutputStream();
                out.write(("POST /v1/instance-norm/forward HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body, 0, body.length / 2);
                out.flush();
                awaitInUse(small, 1);
                HttpResponse<byte[]> second = client.send(HttpRequest.newBuilder(
                                small.uri().resolve("v1/instance-norm/forward")).timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(503, second.statusCode());
                assertEquals("overloaded: the request queue is full, try again later\n", new String(second.body()));
                out.write(body, body.length / 2, body.length - body.length / 2);
                out.flush();
                String status = new String(slow.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
                assertEquals("HTTP/1.1 200", status, "the stalled request is served once its body is complete");
            }
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void awaitInUse(IngotServer target, int expected) throws Exception {
        String line = "ingot_pool_leased{pool=\"forward\"} " + expected + ".0";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String metrics = "";
        while (System.nanoTime() < deadline) {
            metrics = client.send(HttpRequest.newBuilder(target.uri().resolve("metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            if (metrics.contains(line)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the slow request never got its pipeline: "
                + metrics.lines().filter(l -> l.startsWith("ingot_pool")).toList());
    }

    private static void assertBadRequest(HttpResponse<byte[]> response, String reasonPart) {
        String body = new String(response.body());
        assertEquals(400, response.statusCode(), body);
        assertTrue(body.contains(reasonPart), body);
        assertTrue(body.endsWith("\n") && body.indexOf('\n') == body.length() - 1, "one line: " + body);
        assertFalse(body.contains("Exception") || body.contains("\tat "), body);
    }

    private static URI uri(String path) {
        return server.uri().resolve(path);
    }

    private static HttpResponse<byte[]> post(String path, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String get(String path) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    private static byte[] npy(float[] data, long[] dims) throws IOException {
        try (Tensor t = Tensor.copyOf(data, Shape.of(dims))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(out, t);
            return out.toByteArray();
        }
    }

    private static float[] floats(byte[] npy, long[] dims) {
        try (EagerBufferAllocator pool = new EagerBufferAllocator();
             Tensor t = Npy.read(ByteBuffer.wrap(npy), pool)) {
            assertEquals(Shape.of(dims), t.shape());
            return t.toFloatArray();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] random(long[] dims, long seed, double scale, double offset) {
        Random random = new Random(seed);
        float[] out = new float[(int) Shape.of(dims).elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (offset + scale * random.nextGaussian());
        }
        return out;
    }

    private static double[] referenceForward(float[] x, long[] dims) {
        int planes = (int) (dims[0] * dims[1]);
        int m = x.length / planes;
        double[] y = new double[x.length];
        for (int p = 0; p < planes; p++) {
            double mean = 0;
            for (int i = 0; i < m; i++) {
                mean += x[p * m + i];
            }
            mean /= m;
            double var = 0;
            for (int i = 0; i < m; i++) {
                var += (x[p * m + i] - mean) * (x[p * m + i] - mean);
            }
            double invstd = 1 / Math.sqrt(var / m + EPS);
            for (int i = 0; i < m; i++) {
                y[p * m + i] = (x[p * m + i] - mean) * invstd;
            }
        }
        return y;
    }

    private static double[] referenceBackward(float[] x, float[] dy, long[] dims) {
        int planes = (int) (dims[0] * dims[1]);
        int m = x.length / planes;
        double[] xhat = referenceForward(x, dims);
        double[] dx = new double[x.length];
        for (int p = 0; p < planes; p++) {
            double mean = 0;
            double var = 0;
            for (int i = 0; i < m; i++) {
                mean += x[p * m + i];
            }
            mean /= m;
            for (int i = 0; i < m; i++) {
                var += (x[p * m + i] - mean) * (x[p * m + i] - mean);
            }
            double invstd = 1 / Math.sqrt(var / m + EPS);
            double meanDy = 0;
            double meanDyXhat = 0;
            for (int i = 0; i < m; i++) {
                meanDy += dy[p * m + i];
                meanDyXhat += dy[p * m + i] * xhat[p * m + i];
            }
            meanDy /= m;
            meanDyXhat /= m;
            for (int i = 0; i < m; i++) {
                dx[p * m + i] = invstd * (dy[p * m + i] - meanDy - xhat[p * m + i] * meanDyXhat);
            }
        }
        return dx;
    }

    private static void assertClose(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (expected[i] - actual[i]) * (expected[i] - actual[i]);
            norm += expected[i] * expected[i];
        }
        assertTrue(Math.sqrt(diff) <= 1e-5 * Math.sqrt(norm), "normwise error " + Math.sqrt(diff / norm));
    }
}
