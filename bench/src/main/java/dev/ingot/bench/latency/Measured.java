package dev.ingot.bench.latency;

import org.HdrHistogram.Histogram;

/**
 * What one loop measured inside its window.
 *
 * @param histogram latencies in nanoseconds (from the intended start in open loop)
 * @param requests  requests completed inside the window
 * @param start     JVM figures at the window's start
 * @param end       JVM figures at its end
 */
record Measured(Histogram histogram, long requests, JvmCounters start, JvmCounters end) {

    double seconds() {
        return (end.nanoTime() - start.nanoTime()) / 1e9;
    }

    double throughput() {
        return requests / seconds();
    }

    long gcCount() {
        return end.gcCount() - start.gcCount();
    }

    long gcMillis() {
        return end.gcMillis() - start.gcMillis();
    }

    double heapBytesPerRequest() {
        return requests == 0 ? 0 : (double) (end.allocated() - start.allocated()) / requests;
    }
}
