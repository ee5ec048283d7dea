package dev.ingot.ops.math;

import dev.ingot.ops.internal.OpChecks;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Execution;
import dev.ingot.runtime.Tensor;
import dev.ingot.runtime.TensorType;
import dev.ingot.runtime.parallel.ParallelExecutor;
import dev.ingot.runtime.parallel.RangeTask;
import java.util.ArrayList;
import java.util.List;

/**
 * Base of the math executions: work over {@code count} elements cut into fixed chunks of {@link #CHUNK} elements,
 * spread over the backend's executor. The execution is itself the {@link RangeTask}, so a run allocates nothing;
 * chunk boundaries do not depend on the thread count, so per-chunk partial sums combined in chunk order give the
 * same bits for any thread count.
 */
abstract class ChunkedExecution implements Execution, RangeTask {
    /** Elements per chunk: large enough to amortise a hand-off, small enough to balance two to eight threads. */
    static final int CHUNK = 1 << 15;

    private final ParallelExecutor executor;
    private long count;

    ChunkedExecution(CpuBackend backend) {
        this.executor = backend.executor();
    }

    /** Number of chunks for {@code elements}. */
    static int chunks(long elements) {
        return Math.toIntExact((elements + CHUNK - 1) / CHUNK);
    }

    /** Runs {@link #chunk} for every chunk of {@code elements}. */
    final void forChunks(long elements) {
        count = elements;
        executor.parallelFor(chunks(elements), 1, this);
    }

    @Override
    public final void run(int from, int to) {
        for (int c = from; c < to; c++) {
            long start = (long) c * CHUNK;
            chunk(c, start, Math.min(count, start + CHUNK));
        }
    }

    /** Processes elements {@code [from, to)}, chunk number {@code index}. */
    abstract void chunk(int index, long from, long to);

    @Override
    public void onResize(List<Tensor> inputs, List<Tensor> outputs) {
        List<TensorType> types = new ArrayList<>(inputs.size());
        for (Tensor t : inputs) {
            types.add(t.type());
        }
        List<TensorType> expected = outputTypes(types);
        OpChecks.of(name()).outputs(outputs, expected);
        resized(types);
    }

    /** Sizes scratch for validated input types; by default nothing. */
    void resized(List<TensorType> inputs) {
    }
}
