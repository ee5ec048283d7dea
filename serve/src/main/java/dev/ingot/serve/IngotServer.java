package dev.ingot.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ingot.metrics.IngotMetrics;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Shape;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An HTTP service around ingot's InstanceNorm, on the JDK's {@code com.sun.net.httpserver} with one virtual thread
 * per request.
 *
 * <ul>
 *   <li>{@code POST /v1/instance-norm/forward}: body x as {@code .npy} (float32, [N, C, spatial...], rank 3 to 5);
 *       answer y as {@code .npy}.</li>
 *   <li>{@code POST /v1/instance-norm/backward}: body x then dy, two {@code .npy} arrays of one shape, one after
 *       the other; answer dx (statistics from x: the forward and the backward in one run).</li>
 *   <li>{@code GET /metrics}: Prometheus text, through Micrometer (ingot's allocator and pool meters, request
 *       timers, JVM memory and GC).</li>
 *   <li>{@code GET /health}: {@code ok}.</li>
 * </ul>
 * A malformed, oversized or wrongly typed body is answered with 400 and a one-line reason; when the request queue
 * is full, or no pipeline frees up within the timeout, with 503; anything unexpected with 500 and a line saying it
 * was logged. No stack trace reaches a client.
 *
 * <p><b>Concurrency.</b> The backend is given {@link ServeConfig#threads()} threads, and its admission keeps the
 * threads of all running requests within them: a request alone runs on all of them, competing ones on one each,
 * the rest wait in FIFO order instead of being time-sliced by the OS (more exactly: each request gets the split
 * of the cores {@code RunSplit} picks for its size). Each shape and kind has
 * {@link ServeConfig#pipelinesPerShape()} planned pipelines (by default as many as threads); further requests wait
 * for one, at most {@link ServeConfig#queueCapacity()} of them and each at most
 * {@link ServeConfig#acquireTimeout()}; beyond that they are refused with 503.
 *
 * <p><b>Sockets.</b> The JDK server leaves Nagle's algorithm on unless the system property
 * {@code sun.net.httpserver.nodelay} is true, and then the small last segment of a response waits for the client's delayed
 * acknowledgement (milliseconds at every request). The server sets the property to true when it is not set at all,
 * before its first start (the JDK reads it once per process).
 *
 * <p>Thread-safe; {@link #close()} stops the server and frees everything.
 */
public final class IngotServer implements AutoCloseable {

    private static final int MAX_SHAPES = 8;

    private final HttpServer http;
    private final ExecutorService requests;
    private final CpuBackend backend;
    private final PooledNormPipelines pipelines;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final AtomicBoolean closed = new AtomicBoolean();

    private IngotServer(ServeConfig config) throws IOException {
        backend = CpuBackend.builder().threads(config.threads()).build();
        pipelines = new PooledNormPipelines(backend, config.eps(), config.pipelinesPerShape(), MAX_SHAPES,
                config.acquireTimeout());
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        gcMetrics = new JvmGcMetrics();
        HttpServer server = null;
        ExecutorService executor = null;
        try {
            for (Shape shape : config.warmShapes()) {
                pipelines.warmUp(shape);
            }
            new IngotMetrics().budget("backend", backend.memoryBudget())
                    .pool("forward", pipelines.pool(NormKind.FORWARD))
                    .pool("backward", pipelines.pool(NormKind.BACKWARD)).bindTo(registry);
            new JvmMemoryMetrics().bindTo(registry);
            gcMetrics.bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            int inFlight = config.pipelinesPerShape() + config.queueCapacity();
            Semaphore admission = new Semaphore(inFlight);
            TransferChunks chunks = new TransferChunks(inFlight);
            noDelayUnlessSet();
            server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
            executor = Executors.newVirtualThreadPerTaskExecutor();
            server.setExecutor(executor);
            for (NormKind kind : NormKind.values()) {
                server.createContext("/v1/instance-norm/" + kind.name().toLowerCase(java.util.Locale.ROOT),
                        new NormHandler(kind, pipelines, admission, chunks, config.maxBodyBytes(), registry));
            }
            server.createContext("/metrics", exchange -> get(exchange, "text/plain; version=0.0.4; charset=utf-8",
                    () -> registry.scrape()));
            server.createContext("/health", exchange -> get(exchange, "text/plain; charset=utf-8", () -> "ok\n"));
            server.createContext("/", exchange -> {
                try (exchange) {
                    Replies.text(exchange, 404, "no such endpoint: " + exchange.getRequestURI().getPath()
                            + " (try POST /v1/instance-norm/forward or /backward, GET /metrics, GET /health)");
                }
            });
            server.start();
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.stop(0);
            }
            if (executor != null) {
                executor.close();
            }
            closeQuietly();
            throw e;
        }
        this.http = server;
        this.requests = executor;
    }

    /** The JDK server's switch for TCP_NODELAY on accepted connections (read once per process). */
    static final String NO_DELAY_PROPERTY = "sun.net.httpserver.nodelay";

    /** TCP_NODELAY on the connections unless the process chose otherwise (see the class comment). */
    private static void noDelayUnlessSet() {
        if (System.getProperty(NO_DELAY_PROPERTY) == null) {
            System.setProperty(NO_DELAY_PROPERTY, "true");
        }
    }

    /**
     * Starts a server: plans and warms the configured shapes, then listens.
     *
     * @param config the settings
     * @return the running server; close it to stop
     * @throws IOException              when the address cannot be bound
     * @throws IllegalArgumentException when a warm-up shape is refused by the op
     */
    public static IngotServer start(ServeConfig config) throws IOException {
        if (config == null) {
            throw new IllegalArgumentException("config: expected settings, got null");
        }
        return new IngotServer(config);
    }

    /**
     * The port the server listens on (the chosen one when the configured port was 0).
     *
     * @return the port
     */
    public int port() {
        return http.getAddress().getPort();
    }

    /**
     * The base address, for example {@code http://127.0.0.1:8080/}.
     *
     * @return the URI of the server's root
     */
    public URI uri() {
        InetSocketAddress address = http.getAddress();
        return URI.create("http://" + address.getAddress().getHostAddress() + ":" + address.getPort() + "/");
    }

    /**
     * Stops listening, lets requests in progress finish for up to a second, then frees pipelines and memory.
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        http.stop(1);
        requests.close();
        closeQuietly();
    }

    private void closeQuietly() {
        pipelines.close();
        backend.close();
        gcMetrics.close();
        registry.close();
    }

    private interface Body {
        String text();
    }

    private static void get(HttpExchange exchange, String contentType, Body body) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                Replies.text(exchange, 405, exchange.getRequestMethod() + " is not allowed: use GET");
                return;
            }
            byte[] bytes = body.text().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
