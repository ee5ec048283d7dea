package dev.ingot.serve;

import dev.ingot.runtime.Shape;

import java.time.Duration;
import java.util.List;

/**
 * Settings of an {@link IngotServer}. Immutable and thread-safe; start from {@link #defaults()} and change what
 * differs with the {@code with...} methods.
 *
 * @param host              the address to listen on ({@code 127.0.0.1} by default: loopback only)
 * @param port              the TCP port; 0 picks a free one
 * @param threads           threads the backend is given: the cores all requests' ops share (runs beyond them wait
 *                          in the backend's FIFO admission; a request alone gets them all)
 * @param pipelinesPerShape pipelines planned per shape and kind: how many requests of one shape hold a pipeline
 *                          at once
 * @param queueCapacity     requests that may wait for a pipeline beyond those computing; more are refused with 503
 * @param maxBodyBytes      the largest request body accepted; a larger one is refused with 400
 * @param acquireTimeout    how long a request waits for a pipeline before it is refused with 503
 * @param eps               InstanceNorm's eps
 * @param warmShapes        shapes whose pipelines are planned and run before the server accepts requests
 */
public record ServeConfig(String host, int port, int threads, int pipelinesPerShape, int queueCapacity,
                          long maxBodyBytes, Duration acquireTimeout, double eps, List<Shape> warmShapes) {

    /**
     * Checks the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range
     */
    public ServeConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host: expected an address, got " + host);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: expected 0 to 65535, got " + port);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1, got " + threads);
        }
        if (pipelinesPerShape < 1) {
            throw new IllegalArgumentException("pipelinesPerShape: expected >= 1, got " + pipelinesPerShape);
        }
        if (queueCapacity < 0) {
            throw new IllegalArgumentException("queueCapacity: expected >= 0, got " + queueCapacity);
        }
        if (maxBodyBytes < 128) {
            throw new IllegalArgumentException("maxBodyBytes: expected >= 128, got " + maxBodyBytes);
        }
        if (acquireTimeout == null || acquireTimeout.isNegative()) {
            throw new IllegalArgumentException("acquireTimeout: expected a duration >= 0, got " + acquireTimeout);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps: expected a finite value > 0, got " + eps);
        }
        warmShapes = List.copyOf(warmShapes == null ? List.of() : warmShapes);
    }

    /**
     * Loopback, port 8080, the backend given every core, as many pipelines per shape as cores, a queue of 64,
     * bodies up to 64 MiB, 2 s to get a pipeline, eps 1e-5, no warm-up.
     *
     * @return the default settings
     */
    public static ServeConfig defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ServeConfig("127.0.0.1", 8080, cores, cores, 64, 64L << 20, Duration.ofSeconds(2), 1e-5,
                List.of());
    }

    /**
     * These settings on another port.
     *
     * @param newPort the TCP port, 0 for any free one
     * @return these settings with {@code port} changed
     */
    public ServeConfig withPort(int newPort) {
        return new ServeConfig(host, newPort, threads, pipelinesPerShape, queueCapacity, maxBodyBytes,
                acquireTimeout, eps, warmShapes);
    }

    /**
     * Sets the backend's threads and, with them, as many pipelines per shape: more could not compute at once.
     *
     * @param newThreads threads the backend is given, at least 1
     * @return these settings with {@code threads} and {@code pipelinesPerShape} changed
     */
    public ServeConfig withThreads(int newThreads) {
        return new ServeConfig(host, port, newThreads, newThreads, queueCapacity, maxBodyBytes, acquireTimeout, eps,
                warmShapes);
    }

    /**
     * These settings with another number of pipelines per shape.
     *
     * @param newPipelinesPerShape pipelines per shape and kind
     * @return these settings with {@code pipelinesPerShape} changed
     */
    public ServeConfig withPipelinesPerShape(int newPipelinesPerShape) {
        return new ServeConfig(host, port, threads, newPipelinesPerShape, queueCapacity, maxBodyBytes,
                acquireTimeout, eps, warmShapes);
    }

    /**
     * These settings with another queue.
     *
     * @param newQueueCapacity requests that may wait beyond those computing
     * @param newAcquireTimeout how long one waits at most
     * @return these settings with the queue changed
     */
    public ServeConfig withQueue(int newQueueCapacity, Duration newAcquireTimeout) {
        return new ServeConfig(host, port, threads, pipelinesPerShape, newQueueCapacity, maxBodyBytes,
                newAcquireTimeout, eps, warmShapes);
    }

    /**
     * These settings with another body limit.
     *
     * @param newMaxBodyBytes the largest body accepted
     * @return these settings with {@code maxBodyBytes} changed
     */
    public ServeConfig withMaxBodyBytes(long newMaxBodyBytes) {
        return new ServeConfig(host, port, threads, pipelinesPerShape, queueCapacity, newMaxBodyBytes,
                acquireTimeout, eps, warmShapes);
    }

    /**
     * These settings with other warm-up shapes.
     *
     * @param shapes shapes to plan and warm up before serving
     * @return these settings with {@code warmShapes} changed
     */
    public ServeConfig withWarmShapes(List<Shape> shapes) {
        return new ServeConfig(host, port, threads, pipelinesPerShape, queueCapacity, maxBodyBytes, acquireTimeout,
                eps, shapes);
    }
}
