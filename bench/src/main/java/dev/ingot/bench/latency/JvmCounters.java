package dev.ingot.bench.latency;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * A snapshot of the JVM figures a window is judged by: collections and their total time, heap bytes allocated by
 * all threads, process CPU time.
 *
 * @param gcCount       collections so far, all collectors
 * @param gcMillis      milliseconds spent in them
 * @param allocated     heap bytes allocated by all threads so far ({@code getTotalThreadAllocatedBytes})
 * @param cpuNanos      CPU time of the process so far
 * @param nanoTime      {@link System#nanoTime()} when taken
 */
record JvmCounters(long gcCount, long gcMillis, long allocated, long cpuNanos, long nanoTime) {

    static JvmCounters now() {
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            millis += Math.max(0, gc.getCollectionTime());
        }
        long allocated = ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getTotalThreadAllocatedBytes();
        long cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        return new JvmCounters(count, millis, allocated, cpu, System.nanoTime());
    }

    /** Heap bytes allocated on the calling thread so far. */
    static long threadAllocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }
}
