package dev.ingot.bench.latency;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Closed and open loops over a {@link Target}, on platform threads. Each thread records into its own histogram
 * (no sharing, no allocation per request); the histograms are added up at the end. A window starts after the
 * warm-up; only requests that start and end inside it count.
 */
final class Loops {

    private static final long HIGHEST = TimeUnit.SECONDS.toNanos(60);
    /** A parked thread wakes up late by tens of microseconds; the last stretch before a start is spun. */
    private static final long SPIN_NANOS = 50_000;

    private Loops() {
    }

    /** K callers, each starting its next request as soon as the last one ends. */
    static Measured closed(Target target, int callers, long warmupNanos, long measureNanos) throws Exception {
        return run(target, callers, warmupNanos, measureNanos, 0);
    }

    /**
     * {@code workers} callers that together start {@code ratePerSecond} requests a second on a fixed schedule,
     * each request timed from its intended start (wrk2's correction for coordinated omission): a request that
     * waits for a late one is charged the wait.
     */
    static Measured open(Target target, int workers, double ratePerSecond, long warmupNanos, long measureNanos)
            throws Exception {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate: expected > 0, got " + ratePerSecond);
        }
        return run(target, workers, warmupNanos, measureNanos, (long) (workers * 1e9 / ratePerSecond));
    }

    private static Measured run(Target target, int threads, long warmupNanos, long measureNanos, long interval)
            throws Exception {
        List<Target.Caller> callers = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                callers.add(target.newCaller());
            }
            long origin = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            long windowStart = origin + warmupNanos;
            long windowEnd = windowStart + measureNanos;
            Histogram[] histograms = new Histogram[threads];
            long[] counts = new long[threads];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> running = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int id = i;
                histograms[i] = new Histogram(HIGHEST, 3);
                Thread thread = new Thread(() -> {
                    try {
                        long first = origin + (interval == 0 ? 0 : interval * id / threads);
                        counts[id] = loop(callers.get(id), histograms[id], first, interval, windowStart, windowEnd);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }, "latency-caller-" + i);
                thread.setDaemon(true);
                running.add(thread);
                thread.start();
            }
            sleepUntil(windowStart);
            JvmCounters start = JvmCounters.now();
            sleepUntil(windowEnd);
            JvmCounters end = JvmCounters.now();
            for (Thread thread : running) {
                thread.join(TimeUnit.SECONDS.toMillis(120));
                if (thread.isAlive()) {
                    throw new IllegalStateException(thread.getName() + " did not finish its last request in 120 s");
                }
            }
            if (failure.get() != null) {
                throw new IllegalStateException("a caller failed: " + failure.get().getMessage(), failure.get());
            }
            Histogram total = new Histogram(HIGHEST, 3);
            long requests = 0;
            for (int i = 0; i < threads; i++) {
                total.add(histograms[i]);
                requests += counts[i];
            }
            return new Measured(total, requests, start, end);
        } finally {
            for (Target.Caller caller : callers) {
                caller.close();
            }
        }
    }

    private static long loop(Target.Caller caller, Histogram histogram, long first, long interval, long windowStart,
                             long windowEnd) throws Exception {
        long counted = 0;
        long intended = first;
        sleepUntil(first);
        while (true) {
            long start = System.nanoTime();
            if (interval != 0) {
                if (intended > start) {
                    waitUntil(intended);
                }
                start = intended;
                intended += interval;
            }
            if (start >= windowEnd) {
                return counted;
            }
            caller.call();
            long end = System.nanoTime();
            if (start >= windowStart && end <= windowEnd) {
                histogram.recordValue(Math.min(end - start, HIGHEST));
                counted++;
            }
        }
    }

    private static void waitUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > SPIN_NANOS) {
            LockSupport.parkNanos(left - SPIN_NANOS);
        }
        while (System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
