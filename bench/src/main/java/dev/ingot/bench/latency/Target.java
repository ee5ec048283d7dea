package dev.ingot.bench.latency;

import java.io.IOException;

/** What the harness drives: a source of callers, each doing one request per {@link Caller#call()}. */
interface Target extends AutoCloseable {

    /** A caller for one harness thread; not shared between threads. */
    Caller newCaller() throws Exception;

    /** Intra-op threads the backend was given. */
    int threads();

    @Override
    void close() throws IOException;

    /** One client of the target. Not thread-safe. */
    interface Caller extends AutoCloseable {

        /** One request, start to finish. */
        void call() throws Exception;

        @Override
        void close() throws IOException;
    }
}
