package dev.ingot.serve;

import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;

/**
 * Where the service gets a planned pipeline for a request: a bounded number per shape, handed to one caller at a
 * time. Kept behind this small interface so that the source of pipelines can change without touching the HTTP
 * side. Implementations are thread-safe.
 */
interface NormPipelines extends AutoCloseable {

    /**
     * A pipeline planned for {@code kind} on float32 NCHW {@code shape}, for the caller alone until it closes
     * the lease; waits up to the configured timeout for one to be free.
     *
     * @throws ServiceBusyException     when none became free in time, or no room is left for another shape
     * @throws IllegalArgumentException when the op refuses the shape
     */
    Lease acquire(NormKind kind, Shape shape);

    /** Plans each kind for {@code shape} and runs it until the code it uses is compiled. */
    void warmUp(Shape shape);

    @Override
    void close();

    /** One caller's use of one pipeline; closing gives it back. Not thread-safe: it belongs to its caller. */
    interface Lease extends AutoCloseable {

        /** The pipeline's i-th input (x, then dy), whose memory the request body is read into. */
        Tensor input(int i);

        /** The pipeline's result (y or dx), valid until the lease is closed. */
        Tensor output();

        /** Runs the pipeline once. */
        void run();

        @Override
        void close();
    }
}
