package dev.ingot.runtime;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Caller memory bound as a pipeline's inputs and outputs for its next run: checked when bound, swapped into the
 * tensors for the run and swapped back after it. Executions read {@link Tensor#segment()} in
 * {@link Execution#onExecute} and cache no segments (their contract), so the ops read and write the caller's
 * memory directly: nothing is copied. Preallocated per pipeline, so binding a segment allocates nothing.
 */
final class RunBindings {
    /** A thread that never runs: a segment it may access is accessible from any thread (not confined). */
    private static final Thread ANY_OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private final List<Tensor> inputs;
    private final List<Tensor> outputs;
    private final MemorySegment[] boundInputs;
    private final MemorySegment[] boundOutputs;
    private final MemorySegment[] ownInputs;
    private final MemorySegment[] ownOutputs;
    private int bound;
    /** The thread that bound memory for the next run; only it may run with it. */
    private Thread binder;

    RunBindings(List<Tensor> inputs, List<Tensor> outputs) {
        this.inputs = inputs;
        this.outputs = outputs;
        this.boundInputs = new MemorySegment[inputs.size()];
        this.boundOutputs = new MemorySegment[outputs.size()];
        this.ownInputs = new MemorySegment[inputs.size()];
        this.ownOutputs = new MemorySegment[outputs.size()];
    }

    void bindInput(int index, MemorySegment memory, DType dtype, Layout layout, int threads) {
        Tensor input = tensor(inputs, index, "input");
        check("input " + index, input, memory, dtype, layout, threads, false);
        bind(boundInputs, index, memory);
    }

    void bindOutput(int index, MemorySegment memory, DType dtype, Layout layout, int threads) {
        Tensor output = tensor(outputs, index, "output");
        check("output " + index, output, memory, dtype, layout, threads, true);
        bind(boundOutputs, index, memory);
    }

    static MemorySegment ofBuffer(ByteBuffer buffer, String what) {
        if (buffer == null || !buffer.isDirect()) {
            throw new IllegalArgumentException(what + ": expected a direct ByteBuffer, got "
                    + (buffer == null ? "null" : "a heap buffer (ByteBuffer.allocate); use allocateDirect"));
        }
        if (buffer.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException(what + ": expected the native byte order " + ByteOrder.nativeOrder()
                    + " (tensors hold native-order values), got " + buffer.order()
                    + "; call buffer.order(ByteOrder.nativeOrder()) before writing");
        }
        return MemorySegment.ofBuffer(buffer); // from position to limit
    }

    /** Before a run: true when something is bound (then {@link #restore()} must follow). */
    boolean apply() {
        if (bound == 0) {
            return false;
        }
        if (binder != Thread.currentThread()) {
            throw new IllegalStateException("run: memory was bound for the next run by thread " + binder.getName()
                    + ", not " + Thread.currentThread().getName());
        }
        swapIn(inputs, boundInputs, ownInputs);
        swapIn(outputs, boundOutputs, ownOutputs);
        return true;
    }

    /** After a run (also a failed one): the tensors get their own memory back, and the bindings end. */
    void restore() {
        swapOut(inputs, boundInputs, ownInputs);
        swapOut(outputs, boundOutputs, ownOutputs);
        bound = 0;
        binder = null;
    }

    /** Drops bindings without a run (a resize changes the shapes they were checked against). */
    void clear() {
        java.util.Arrays.fill(boundInputs, null);
        java.util.Arrays.fill(boundOutputs, null);
        bound = 0;
        binder = null;
    }

    private void bind(MemorySegment[] slots, int index, MemorySegment memory) {
        Thread current = Thread.currentThread();
        if (bound > 0 && binder != current) {
            throw new IllegalStateException("bind: thread " + binder.getName() + " bound memory for the next run;"
                    + " only it may bind more or run");
        }
        if (slots[index] == null) {
            bound++;
        }
        slots[index] = memory;
        binder = current;
    }

    private static void swapIn(List<Tensor> tensors, MemorySegment[] boundTo, MemorySegment[] own) {
        for (int i = 0; i < boundTo.length; i++) {
            if (boundTo[i] != null) {
                Tensor t = tensors.get(i);
                own[i] = t.segment();
                t.bind(boundTo[i]);
            }
        }
    }

    private static void swapOut(List<Tensor> tensors, MemorySegment[] boundTo, MemorySegment[] own) {
        for (int i = 0; i < boundTo.length; i++) {
            if (own[i] != null) {
                tensors.get(i).bind(own[i]);
                own[i] = null;
            }
            boundTo[i] = null;
        }
    }

    private static Tensor tensor(List<Tensor> tensors, int index, String what) {
        if (index < 0 || index >= tensors.size()) {
            throw new IllegalArgumentException(what + "Index: expected 0.." + (tensors.size() - 1) + ", got " + index);
        }
        return tensors.get(index);
    }

    private static void check(String what, Tensor tensor, MemorySegment memory, DType dtype, Layout layout,
                              int threads, boolean written) {
        TensorType type = tensor.type();
        if (memory == null) {
            throw new IllegalArgumentException(what + ": expected a MemorySegment, got null");
        }
        if (dtype != type.dtype()) {
            throw new IllegalArgumentException(what + ": expected dtype " + type.dtype() + ", got " + dtype);
        }
        if (layout != type.layout()) {
            throw new IllegalArgumentException(what + ": expected layout " + type.layout() + ", got " + layout);
        }
        if (memory.byteSize() != type.byteSize()) {
            throw new IllegalArgumentException(what + ": expected " + type.byteSize() + " bytes for " + type
                    + ", got " + memory.byteSize());
        }
        if (!memory.isNative()) {
            throw new IllegalArgumentException(what + ": expected native memory (an off-heap segment or a direct"
                    + " buffer), got a heap segment");
        }
        if (memory.address() % dtype.byteSize() != 0) {
            throw new IllegalArgumentException(what + ": expected an address aligned to " + dtype.byteSize()
                    + " bytes for " + dtype + ", got 0x" + Long.toHexString(memory.address()));
        }
        if (written && memory.isReadOnly()) {
            throw new IllegalArgumentException(what + ": expected writable memory, got a read-only segment");
        }
        if (!memory.scope().isAlive()) {
            throw new IllegalArgumentException(what + ": the segment's arena is closed");
        }
        if (threads > 1 && !memory.isAccessibleBy(ANY_OTHER_THREAD)) {
            throw new IllegalArgumentException(what + ": expected memory every thread may access (Arena.ofShared,"
                    + " ofAuto or global, or a direct buffer): the executor's " + threads + " threads run the ops,"
                    + " but the segment is confined to its arena's thread");
        }
    }
}
