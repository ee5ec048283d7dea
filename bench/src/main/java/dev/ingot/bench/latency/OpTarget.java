package dev.ingot.bench.latency;

import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Shape;
import java.util.concurrent.atomic.AtomicLong;

/** The op path in-process: one backend with {@code threads} intra-op threads, one planned pipeline per caller. */
final class OpTarget implements Target {

    private final CpuBackend backend;
    private final Shape shape;
    private final int threads;
    private final AtomicLong seeds = new AtomicLong(1);

    OpTarget(Shape shape, int threads) {
        this.shape = shape;
        this.threads = threads;
        this.backend = CpuBackend.builder().threads(threads).build();
    }

    @Override
    public Caller newCaller() {
        Pipeline pipeline = NormStep.build(backend, shape, seeds.getAndAdd(2));
        return new Caller() {
            @Override
            public void call() {
                pipeline.run();
            }

            @Override
            public void close() {
                pipeline.close();
            }
        };
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void close() {
        backend.close();
    }
}
