package dev.ingot.runtime;

import dev.ingot.allocator.AllocatorStats;
import dev.ingot.runtime.events.PipelineRunEvent;
import dev.ingot.runtime.parallel.RunAdmission;
import dev.ingot.runtime.parallel.RunSplit;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ordered list of ops over tensors, planned once per input shape and run many times: MNN's {@code Pipeline}.
 *
 * <p><b>Observability.</b> Each run emits the JFR event {@value #RUN_EVENT} (duration with the
 * admission wait, ops, input shapes, threads granted) when it is enabled; disabled, it costs one check of the event
 * type per run. The system property {@value #RUN_EVENT_CODE_PROPERTY}{@code =false} (read once, when the class
 * loads) leaves the event code out of {@code run()} altogether, as if it were not there: for measuring that check
 * ({@code PipelineRunBench -p eventCode=true,false}).
 *
 * <p><b>Building.</b> A {@link Builder} declares inputs (tensors the pipeline owns, whose shapes may change),
 * parameters (tensors the caller or the pipeline holds in STATIC memory, fixed shape), ops (by type name through
 * an {@link OpRegistry}, or as {@link Execution} instances) whose outputs are new tensors, in-place updates of
 * parameters ({@link Builder#update}), and which tensors are outputs.
 *
 * <p><b>Resize</b> ({@link #resize()}) propagates shapes through {@link Execution#outputTypes}, then walks the ops
 * in order: it acquires every op output as DYNAMIC memory, lets the op plan ({@link Execution#onResize}), and
 * releases each intermediate after its last consumer, so later outputs reuse that memory. Pipeline inputs, outputs
 * and parameters are never released, and no op output is ever placed over them — unlike MNN, inputs are never
 * overwritten. The result is a {@link MemoryPlan}. Resizing again is needed only when an input shape changes
 * ({@link #setInputShape}, {@link #resize(Map)}); it rebinds every dynamic tensor, so segments and reshape views
 * taken earlier from them must not be kept.
 *
 * <p><b>Run</b> ({@link #run()}) executes the ops in order and allocates nothing. Outputs stay readable after it
 * until the next resize or {@link #close()}. Caller memory (a {@code MemorySegment} or a direct {@code ByteBuffer})
 * can stand in for inputs and outputs for one run ({@link #bindInput}, {@link #bindOutput}): the ops then read the
 * request and write the response where the caller has them, without a copy.
 *
 * <p><b>Memory.</b> The pipeline has its own dynamic memory on its backend, so two pipelines on one backend can
 * run at the same time from different threads. {@link #close()} frees the pipeline's dynamic memory and the STATIC
 * memory of its own inputs and parameters; tensors passed in by the caller stay the caller's.
 *
 * <p><b>Threads.</b> A pipeline is not thread-safe, but sharing one is checked: at most one thread at a time holds
 * it, through an atomic claim that only that thread gives back. {@link #run()}, {@link #resize()},
 * {@link #setInputShape} and {@link #close()} hold it for their own duration when the calling thread does not hold
 * it already; {@link #hold()} makes the calling thread its holder for several steps:
 * <pre>{@code
 * try (Pipeline.Hold hold = pipeline.hold()) {   // IllegalStateException if another thread holds it
 *     input.copyFrom(data);
 *     pipeline.run();
 *     result = output.toFloatArray();
 * }
 * }</pre>
 * While one thread holds the pipeline, any other thread's call of these methods, and its use through the
 * {@link Tensor} API of a tensor the pipeline owns (inputs, own parameters, op outputs, views of them: see
 * {@link Tensor}), throws {@link IllegalStateException} at once — it never waits and never computes with another
 * thread's data. Exactly this is checked; not checked are: reads and writes through a {@code MemorySegment} taken
 * earlier from {@link Tensor#segment()} (raw memory), caller-provided parameters
 * ({@link Builder#parameter(Tensor)}), and sequences of calls that are not inside one hold (a thread that writes
 * an input, then runs, without holding the pipeline in between may run on another thread's input).
 */
public final class Pipeline implements AutoCloseable {

    /** System property: {@code false} leaves the run event out of {@code run()} (see the class comment). */
    public static final String RUN_EVENT_CODE_PROPERTY = "ingot.runEventCode";
    /** Constant for the JIT: false folds every line of the event out of the compiled run. */
    private static final boolean RUN_EVENT_CODE = !"false".equals(System.getProperty(RUN_EVENT_CODE_PROPERTY));
    /** The run event's type: asking it whether a recording wants the event allocates nothing. */
    private static final jdk.jfr.EventType RUN_EVENT_TYPE = jdk.jfr.EventType.getEventType(PipelineRunEvent.class);

    private enum Role { INPUT, OWNED_PARAMETER, EXTERNAL_PARAMETER, INTERMEDIATE, OUTPUT }

    /**
     * One op. {@code inPlace}: its outputs are parameters it updates. {@code overwrites}: the index of the input
     * whose tensor is also its output 0 (the op writes over it), or -1.
     */
    private record Step(Execution execution, List<Tensor> inputs, List<Tensor> outputs, boolean inPlace,
                        int overwrites) {
        /** Whether output {@code i} is memory this step acquires (not a parameter, not an overwritten input). */
        boolean acquires(int i) {
            return !inPlace && !(i == 0 && overwrites >= 0);
        }
    }

    /** Name of the JFR event each run emits when it is enabled (see the class comment). */
    public static final String RUN_EVENT = PipelineRunEvent.NAME;

    private static final AtomicInteger PIPELINES = new AtomicInteger();

    private final CpuBackend backend;
    private final String name = "pipeline-" + PIPELINES.incrementAndGet();
    private final DynamicMemory dynamic;
    private final Map<Tensor, Role> roles;
    private final List<Tensor> inputs;
    private final List<Tensor> outputs;
    private final Step[] steps;
    private final Map<Tensor, Shape> pendingShapes = new IdentityHashMap<>();
    private final RunBindings bindings;
    private MemoryPlan plan;
    /**
     * Threads a run gets while other runs compete for the backend's cores, from this plan's working set
     * ({@link RunSplit}); applies unless the backend fixes one value for all runs.
     */
    private int threadsWhenBusy = RunAdmission.DEFAULT_THREADS_WHEN_BUSY;
    /** The input shapes of the current plan, for the run event. */
    private String inputShapes = "";
    private boolean needsResize = true;
    private boolean closed;
    /** Who holds this pipeline; shared with the tensors it owns. */
    private final PipelineClaim claim;
    /** The only thread that may run the pipeline, when a parameter is confined to it; else null. */
    private final Thread confinedTo;
    private final Tensor confinedParameter;

    private Pipeline(Builder builder) {
        this.backend = builder.backend;
        this.claim = builder.claim;
        this.confinedTo = builder.confinedTo;
        this.confinedParameter = builder.confinedParameter;
        this.roles = new IdentityHashMap<>(builder.roles);
        this.inputs = List.copyOf(builder.inputs);
        this.outputs = List.copyOf(builder.outputs);
        this.steps = builder.steps.toArray(new Step[0]);
        for (Tensor output : outputs) {
            roles.put(output, Role.OUTPUT);
        }
        this.dynamic = backend.newDynamicMemory();
        this.bindings = new RunBindings(inputs, outputs);
    }

    /**
     * A builder for a pipeline on {@code backend} whose ops come from {@link OpRegistry#standard()}.
     *
     * @param backend the backend that runs the ops and owns their memory
     * @return the builder
     */
    public static Builder builder(CpuBackend backend) {
        return new Builder(backend, null);
    }

    /**
     * A builder for a pipeline on {@code backend} whose ops come from {@code registry}.
     *
     * @param backend the backend that runs the ops and owns their memory
     * @param registry where op types are looked up
     * @return the builder
     */
    public static Builder builder(CpuBackend backend, OpRegistry registry) {
        return new Builder(backend, registry);
    }

    /**
     * The pipeline's name, {@code pipeline-N} in creation order (as in its JFR run events).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The pipeline inputs, in declaration order.
     *
     * @return the pipeline inputs, in declaration order
     */
    public List<Tensor> inputs() {
        return inputs;
    }

    /**
     * The pipeline outputs, in declaration order.
     *
     * @return the pipeline outputs, in declaration order
     */
    public List<Tensor> outputs() {
        return outputs;
    }

    /**
     * The plan of the last successful resize.
     *
     * @return the plan of the last successful resize
     * @throws IllegalStateException before the first one
     */
    public MemoryPlan plan() {
        if (plan == null) {
            throw new IllegalStateException("pipeline has no plan yet: call resize()");
        }
        return plan;
    }

    /**
     * Statistics of this pipeline's own dynamic allocator (reuses, peak bytes in use, bytes reserved), as of now.
     *
     * @return the statistics
     * @throws IllegalStateException when the pipeline is closed
     */
    public AllocatorStats dynamicAllocatorStats() {
        ensureOpen();
        return dynamic.allocator().stats();
    }

    /**
     * True once {@link #close()} was called.
     *
     * @return whether the pipeline is closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * True when {@link #run()} needs a {@link #resize()} first.
     *
     * @return true when {@link #run()} needs a {@link #resize()} first
     */
    public boolean needsResize() {
        return needsResize;
    }

    /**
     * Sets the shape an input will have from the next {@link #resize()} on; its data is lost then.
     *
     * @param input one of this pipeline's inputs
     * @param shape  its new shape
     * @throws IllegalArgumentException when {@code input} is not an input of this pipeline
     * @throws IllegalStateException    when the pipeline is closed or another thread holds it
     */
    public void setInputShape(Tensor input, Shape shape) {
        boolean entered = claim.enter("setInputShape");
        try {
            ensureOpen();
            if (roles.get(input) != Role.INPUT) {
                throw new IllegalArgumentException("input: expected one of this pipeline's inputs, got " + input);
            }
            if (shape == null) {
                throw new IllegalArgumentException("shape: expected a Shape, got null");
            }
            if (!shape.equals(input.shape()) || pendingShapes.containsKey(input)) {
                pendingShapes.put(input, shape);
                needsResize = true;
            }
        } finally {
            if (entered) {
                claim.release();
            }
        }
    }

    /**
     * Sets several input shapes, then resizes.
     *
     * @param shapes new shapes of inputs of this pipeline
     * @return the plan for the new shapes
     * @throws IllegalArgumentException as {@link #setInputShape} and {@link #resize()}
     * @throws IllegalStateException    when the pipeline is closed or another thread holds it
     */
    public MemoryPlan resize(Map<Tensor, Shape> shapes) {
        boolean entered = claim.enter("resize");
        try {
            shapes.forEach(this::setInputShape);
            return resize();
        } finally {
            if (entered) {
                claim.release();
            }
        }
    }

    /**
     * Plans memory for the current input shapes; does nothing (and returns the current plan) when nothing
     * changed since the last successful resize. On failure the pipeline holds no dynamic memory and needs another
     * resize.
     *
     * @return the plan for the current input shapes
     * @throws IllegalArgumentException when an op refuses its input shapes (the message names the op)
     * @throws IllegalStateException    when the pipeline is closed or another thread holds it
     */
    public MemoryPlan resize() {
        boolean entered = claim.enter("resize");
        try {
            ensureOpen();
            if (!needsResize) {
                return plan;
            }
            bindings.clear();
            TensorType[] newTypes = propagateTypes();
            reacquireInputs();
            applyTypes(newTypes);
            plan = planDynamicMemory();
            inputShapes = describeInputShapes();
            threadsWhenBusy = RunSplit.threadsWhenBusy(workingSetBytes(), backend.executor().parallelism());
            needsResize = false;
            return plan;
        } finally {
            if (entered) {
                claim.release();
            }
        }
    }

    /**
     * Runs every op once, in order, holding the pipeline for the run unless the calling thread holds it already.
     * Allocates nothing: claiming is one compare-and-set, giving back one store.
     *
     * @throws IllegalStateException when a resize is needed first, the pipeline is closed, or another thread holds
     *                               it (then nothing ran)
     */
    public void run() {
        boolean entered = claim.enter("run");
        try {
            runHeld();
        } finally {
            if (entered) {
                claim.release();
            }
        }
    }

    /** One run by the thread that holds the pipeline. */
    private void runHeld() {
        if (confinedTo != null && confinedTo != Thread.currentThread()) {
            throw new IllegalStateException("parameter " + confinedParameter.type() + " is over memory confined to"
                    + " thread '" + confinedTo.getName() + "' (a confined Arena): run the pipeline on that thread");
        }
        if (needsResize || closed) {
            throw new IllegalStateException(closed ? "pipeline is closed"
                    : "pipeline needs resize() first: it was never resized, an input shape changed, or the last"
                    + " resize failed");
        }
        // Made only while a recording enables it: escape analysis alone did not always remove it (56 bytes a run)
        PipelineRunEvent event = RUN_EVENT_CODE && RUN_EVENT_TYPE.isEnabled() ? new PipelineRunEvent() : null;
        long queuedAt = 0;
        if (event != null) {
            event.begin();
            queuedAt = System.nanoTime();
        }
        long admittedAt = 0;
        int threads = 0;
        backend.onExecuteBegin(threadsWhenBusy);
        try {
            boolean bound = bindings.apply();
            try {
                if (queuedAt != 0) {
                    admittedAt = System.nanoTime();
                    threads = backend.executor().admission().currentThreads();
                }
                for (Step step : steps) {
                    step.execution.onExecute(step.inputs, step.outputs);
                }
            } finally {
                if (bound) {
                    bindings.restore();
                }
            }
        } finally {
            backend.onExecuteEnd();
        }
        if (event != null && event.shouldCommit()) {
            commit(event, threads, admittedAt - queuedAt);
        }
    }

    /** Bytes a run reads or writes: every tensor of the steps, counted once (at resize, not per run). */
    private long workingSetBytes() {
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Step step : steps) {
            for (List<Tensor> tensors : List.of(step.inputs, step.outputs)) {
                for (Tensor tensor : tensors) {
                    if (tensor != null && seen.add(tensor)) {
                        bytes += tensor.type().byteSize();
                    }
                }
            }
        }
        return bytes;
    }

    /** Threads a run of the current plan asks for while other runs compete (for tests). */
    int threadsWhenBusy() {
        return threadsWhenBusy;
    }

    private void commit(PipelineRunEvent event, int threads, long admissionWait) {
        event.pipeline = name;
        event.ops = steps.length;
        event.inputShapes = inputShapes;
        event.threads = threads;
        event.admissionWait = admissionWait;
        event.commit();
    }

    /**
     * Binds caller memory as input {@code index} for the next {@link #run()} only: the ops read it directly, nothing
     * is copied, and the input's own memory is left untouched. The binding ends when that run ends (also when it
     * fails) or at a resize. The memory must stay valid and unchanged until then; the pipeline never writes it.
     * Only the binding thread may run with it (or bind more).
     *
     * @param index  the input's position in {@link #inputs()}
     * @param memory native memory holding exactly the input's bytes: {@code memory.byteSize()} equal to the input
     *               type's byte size, aligned to the dtype's size, accessible from the executor's threads (shared,
     *               auto or global arena) unless the backend has one thread; may be read-only
     * @param dtype  the element type the memory holds: must be the input's
     * @param layout the layout the memory holds: must be the input's
     * @throws IllegalArgumentException when the index is out of range or the memory does not fit, naming what was
     *                                  expected
     * @throws IllegalStateException    when the pipeline is closed or needs a resize, another thread holds it, or
     *                                  another thread bound memory for the next run
     */
    public void bindInput(int index, MemorySegment memory, DType dtype, Layout layout) {
        boolean entered = claim.enter("bindInput");
        try {
            checkBindable();
            bindings.bindInput(index, memory, dtype, layout, backend.executor().parallelism());
        } finally {
            if (entered) {
                claim.release();
            }
        }
    }

    /**
     * Binds a direct buffer (its bytes from position to limit) as input {@code index} for the next run; see
     * {@link #bindInput(int, MemorySegment, DType, Layout)}.
     *
     * @param index  the input's position in {@link #inputs()}
     * @param buffer a direct buffer in native byte order holding exactly the input's bytes
     * @param dtype  the element type it holds: must be the input's
     * @param layout the layout it holds: must be the input's
     * @throws IllegalArgumentException when the buffer is not direct, not in native order, or does not fit
     * @throws IllegalStateException    as {@link #bindInput(int, MemorySegment, DType, Layout)}
     */
    public void bindInput(int index, ByteBuffer buffer, DType dtype, Layout layout) {
        bindInput(index, RunBindings.ofBuffer(buffer, "buffer"), dtype, layout);
    }

    /**
     * Binds caller memory as output {@code index} for the next {@link #run()} only: the op writes its result there
     * directly (later ops that read this output read it there too), and the output's own memory keeps its old
     * contents. Same rules as {@link #bindInput(int, MemorySegment, DType, Layout)}, and the memory must be writable.
     *
     * @param index  the output's position in {@link #outputs()}
     * @param memory writable native memory of exactly the output's bytes
     * @param dtype  the element type: must be the output's
     * @param layout the layout: must be the output's
     * @throws IllegalArgumentException when the index is out of range or the memory does not fit
     * @throws IllegalStateException    as {@link #bindInput(int, MemorySegment, DType, Layout)}
     */
    public void bindOutput(int index, MemorySegment memory, DType dtype, Layout layout) {
        boolean entered = claim.enter("bindOutput");
        try {
            checkBindable();
            bindings.bindOutput(index, memory, dtype, layout, backend.executor().parallelism());
        } finally {
            if (entered) {
                claim.release();
            }
        }
    }

    /**
     * Binds a direct buffer as output {@code index} for the next run; see
     * {@link #bindOutput(int, MemorySegment, DType, Layout)}.
     *
     * @param index  the output's position in {@link #outputs()}
     * @param buffer a writable direct buffer in native byte order of exactly the output's bytes
     * @param dtype  the element type: must be the output's
     * @param layout the layout: must be the output's
     * @throws IllegalArgumentException when the buffer is not direct, not native-order, read-only, or does not fit
     * @throws IllegalStateException    as {@link #bindInput(int, MemorySegment, DType, Layout)}
     */
    public void bindOutput(int index, ByteBuffer buffer, DType dtype, Layout layout) {
        bindOutput(index, RunBindings.ofBuffer(buffer, "buffer"), dtype, layout);
    }

    /** The executor of the pipeline's backend (for the warm-up). */
    dev.ingot.runtime.parallel.ParallelExecutor backendExecutor() {
        return backend.executor();
    }

    private void checkBindable() {
        ensureOpen();
        if (needsResize) {
            throw new IllegalStateException("bind: the pipeline needs resize() first (its types are not final)");
        }
    }

    /**
     * Warms the pipeline up for serving, within 30 seconds: see {@link #warmUp(java.time.Duration)}.
     *
     * @return what the warm-up did
     * @throws IllegalStateException as {@link #run()}
     */
    public WarmUpReport warmUp() {
        return warmUp(java.time.Duration.ofSeconds(30));
    }

    /**
     * Runs the pipeline until the JIT has compiled the code its plan uses (its kernels, the executor, the
     * runtime), so that the first request after it allocates nothing in {@link #run()} and runs at steady-state
     * speed: in rounds of runs (alternately on one thread and on all) until five rounds in a row allocate nothing
     * on the calling thread and see no JIT compilation finish, or the budget is spent. Call it once per plan (after a resize to a new shape) before serving.
     *
     * <p>It <b>overwrites the inputs</b> with pseudo-random values (fixed seed; kernels choose paths by the data),
     * and runs in-place updates as often as it runs: warm up a serving pipeline, not a training in progress.
     *
     * @param budget the most time to spend; the warm-up stops after the round that exceeds it
     * @return runs made, time taken, and whether the last rounds allocated nothing
     * @throws IllegalArgumentException when the budget is null or negative
     * @throws IllegalStateException    as {@link #run()}, or when another thread holds the pipeline
     */
    @SuppressWarnings("try") // the hold is held, not used: no other thread may run the pipeline meanwhile
    public WarmUpReport warmUp(java.time.Duration budget) {
        if (budget == null || budget.isNegative()) {
            throw new IllegalArgumentException("budget: expected a non-negative duration, got " + budget);
        }
        try (Hold hold = hold()) {
            if (needsResize) {
                resize();
            }
            bindings.clear();
            return PipelineWarmUp.run(this, budget.toNanos());
        }
    }

    /**
     * Makes the calling thread this pipeline's holder until the returned hold is closed, so that writing inputs,
     * running and reading outputs happen without another thread's use in between (see the class comment). Holding
     * is reentrant: a nested hold (or a {@link #run()} inside one) keeps the outer hold, and only closing the hold
     * that took the pipeline gives it back. Never waits.
     *
     * @return the hold; close it on the same thread (try-with-resources)
     * @throws IllegalStateException when another thread holds the pipeline or runs it
     */
    public Hold hold() {
        return new Hold(claim.enter("hold"));
    }

    /**
     * True when the calling thread holds this pipeline (inside {@link #hold()} or a run).
     *
     * @return whether the calling thread holds the pipeline
     */
    public boolean isHeldByCurrentThread() {
        return claim.isHeldByCurrentThread();
    }

    /**
     * Frees the pipeline's dynamic memory and the STATIC memory of its own inputs and parameters; its tensors
     * lose their memory. Caller-provided parameters are left alone. Idempotent.
     *
     * @throws IllegalStateException when another thread holds the pipeline or runs it (nothing is freed then)
     */
    @Override
    public void close() {
        boolean entered = claim.enter("close");
        try {
            if (closed) {
                return;
            }
            closed = true;
            backend.closeDynamicMemory(dynamic);
            for (Map.Entry<Tensor, Role> e : roles.entrySet()) {
                if (e.getValue() != Role.EXTERNAL_PARAMETER) {
                    e.getKey().close();
                }
            }
        } finally {
            if (entered) {
                claim.release();
            }
        }
    }

    /**
     * The calling thread's hold on a pipeline, from {@link Pipeline#hold()} until {@link #close()}. Not
     * thread-safe: it belongs to the thread that took it.
     */
    public final class Hold implements AutoCloseable {
        private final boolean took;
        private boolean closed;

        private Hold(boolean took) {
            this.took = took;
        }

        /**
         * Gives the pipeline back, unless this hold was nested in another hold or a run of the same thread (the
         * outer one gives it back). Idempotent.
         *
         * @throws IllegalStateException when called from a thread that does not hold the pipeline
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (!claim.isHeldByCurrentThread()) {
                throw new IllegalStateException("hold closed by a thread that does not hold the pipeline ("
                        + Thread.currentThread().getName() + "): close it on the thread that took it");
            }
            closed = true;
            if (took) {
                claim.release();
            }
        }
    }

    // ---- resize steps ---------------------------------------------------------------------------------------------

    private String describeInputShapes() {
        StringBuilder text = new StringBuilder();
        for (Tensor input : inputs) {
            text.append(text.isEmpty() ? "" : ", ").append(input.shape());
        }
        return text.toString();
    }

    private TensorType[] propagateTypes() {
        Map<Tensor, TensorType> types = new IdentityHashMap<>();
        for (Map.Entry<Tensor, Role> e : roles.entrySet()) {
            types.put(e.getKey(), e.getKey().type());
        }
        pendingShapes.forEach((input, shape) -> types.put(input, input.type().withShape(shape)));
        List<TensorType> produced = new ArrayList<>();
        for (Step step : steps) {
            List<TensorType> in = new ArrayList<>(step.inputs.size());
            for (Tensor t : step.inputs) {
                in.add(types.get(t));
            }
            List<TensorType> out = step.execution.outputTypes(in);
            checkOutputs(step, out);
            for (int i = 0; i < out.size(); i++) {
                Tensor target = step.outputs.get(i);
                if (i == 0 && step.overwrites >= 0 && !out.get(0).equals(types.get(target))) {
                    throw new IllegalArgumentException("op " + step.execution.name() + ": output 0 is written over"
                            + " input " + step.overwrites + " and must keep its type " + types.get(target) + ", got "
                            + out.get(0));
                }
                if (step.inPlace && !out.get(i).equals(target.type())) {
                    throw new IllegalArgumentException("op " + step.execution.name() + ": in-place output " + i
                            + " must keep the type of its parameter " + target.type() + ", got " + out.get(i));
                }
                types.put(target, out.get(i));
                produced.add(out.get(i));
            }
        }
        return produced.toArray(new TensorType[0]);
    }

    private static void checkOutputs(Step step, List<TensorType> out) {
        if (out == null || out.size() != step.outputs.size()) {
            throw new IllegalStateException("op " + step.execution.name() + ": outputTypes gave "
                    + (out == null ? "null" : out.size() + " types") + ", expected " + step.outputs.size());
        }
    }

    /** Inputs whose shape changed get new STATIC memory of the new size. */
    private void reacquireInputs() {
        for (Map.Entry<Tensor, Shape> e : pendingShapes.entrySet()) {
            Tensor input = e.getKey();
            if (backend.holdsStatic(input)) {
                backend.release(input, StorageType.STATIC);
            }
            input.retype(input.type().withShape(e.getValue()));
        }
        pendingShapes.clear();
        for (Tensor input : inputs) {
            if (!backend.holdsStatic(input)) {
                backend.acquire(input, StorageType.STATIC);
            }
        }
    }

    private void applyTypes(TensorType[] produced) {
        int k = 0;
        for (Step step : steps) {
            for (int i = 0; i < step.outputs.size(); i++) {
                if (step.acquires(i)) {
                    Tensor out = step.outputs.get(i);
                    out.unbind();
                    out.retype(produced[k]);
                }
                k++;
            }
        }
    }

    private MemoryPlan planDynamicMemory() {
        Map<Tensor, int[]> usesLeft = new IdentityHashMap<>();
        int overwritingOps = 0;
        long overwrittenBytes = 0;
        for (Step step : steps) {
            for (Tensor t : step.inputs) {
                if (roles.get(t) == Role.INTERMEDIATE) {
                    usesLeft.computeIfAbsent(t, k -> new int[1])[0]++;
                }
            }
        }
        backend.beginResize(dynamic);
        boolean ended = false;
        try {
            for (Step step : steps) {
                for (int i = 0; i < step.outputs.size(); i++) {
                    if (step.acquires(i)) {
                        backend.acquire(step.outputs.get(i), StorageType.DYNAMIC);
                    }
                }
                if (step.overwrites >= 0) {
                    overwritingOps++;
                    overwrittenBytes += step.outputs.get(0).byteSize();
                }
                step.execution.onResize(step.inputs, step.outputs);
                for (Tensor in : step.inputs) {
                    int[] left = usesLeft.get(in);
                    if (left != null && --left[0] == 0) {
                        backend.release(in, StorageType.DYNAMIC);
                    }
                }
                for (int i = 0; i < step.outputs.size(); i++) {
                    Tensor out = step.outputs.get(i);
                    if (step.acquires(i) && roles.get(out) == Role.INTERMEDIATE && !usesLeft.containsKey(out)) {
                        backend.release(out, StorageType.DYNAMIC); // never read: free at once
                    }
                }
            }
            backend.endResize();
            ended = true;
        } finally {
            if (!ended) {
                backend.abortResize();
                needsResize = true;
            }
        }
        return new MemoryPlan(dynamic.mode, steps.length, dynamic.round.size(), dynamic.peakBytes(),
                dynamic.peakLiveBytes(), dynamic.totalBytes(), dynamic.reservedBytes(), ownStaticBytes(), overwritingOps,
                overwrittenBytes);
    }

    private long ownStaticBytes() {
        long bytes = 0;
        for (Map.Entry<Tensor, Role> e : roles.entrySet()) {
            if (e.getValue() == Role.INPUT || e.getValue() == Role.OWNED_PARAMETER) {
                bytes += DynamicMemory.footprint(e.getKey().byteSize());
            }
        }
        return bytes;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("pipeline is closed");
        }
    }

    /**
     * Declares a pipeline. Tensors returned by the builder are handles for the pipeline's tensors: write inputs
     * through them, read outputs after {@link Pipeline#run()}. Not thread-safe.
     */
    public static final class Builder {
        private final CpuBackend backend;
        private final OpRegistry registry;
        private final Map<Tensor, Role> roles = new IdentityHashMap<>();
        private final List<Tensor> inputs = new ArrayList<>();
        private final List<Tensor> outputs = new ArrayList<>();
        private final List<Step> steps = new ArrayList<>();
        private final PipelineClaim claim = new PipelineClaim();
        private Thread confinedTo;
        private Tensor confinedParameter;
        private boolean built;

        private Builder(CpuBackend backend, OpRegistry registry) {
            if (backend == null) {
                throw new IllegalArgumentException("backend: expected a CpuBackend, got null");
            }
            this.backend = backend;
            this.registry = registry;
        }

        /**
         * A pipeline input in STATIC memory owned by the pipeline; its shape may change with
         * {@link Pipeline#setInputShape}. It gets memory at the first resize.
         *
         * @param type its type; the shape may change later with a resize
         * @return the input tensor
         */
        public Tensor input(TensorType type) {
            checkOpen();
            Tensor t = backend.newTensor(type);
            t.claimBy(claim);
            roles.put(t, Role.INPUT);
            inputs.add(t);
            return t;
        }

        /**
         * A parameter in STATIC memory owned by the pipeline, backed at once (write its values any time).
         *
         * @param type its type; the shape may change later with a resize
         * @return the parameter tensor
         */
        public Tensor parameter(TensorType type) {
            checkOpen();
            Tensor t = backend.newTensor(type);
            t.claimBy(claim);
            backend.acquire(t, StorageType.STATIC);
            roles.put(t, Role.OWNED_PARAMETER);
            return t;
        }

        /**
         * A parameter the caller provides and owns (wrapped, owned or backend memory); its type is fixed. The
         * pipeline never frees it; the caller keeps it backed while the pipeline runs. Memory confined to one
         * thread (a confined {@link java.lang.foreign.Arena}'s segment) is refused on a backend with more than
         * one thread; on a one-thread backend it is accepted from its owner thread, and the pipeline then runs
         * only on that thread (a run on another one is refused before any op runs).
         *
         * @param external the caller's tensor
         * @return {@code external}, now a parameter of this pipeline
         * @throws IllegalArgumentException when the tensor is null or closed, already has another role here, or its
         *                                  memory cannot be used by the backend's threads (see
         *                                  {@link CpuBackend#checkAccessible})
         */
        public Tensor parameter(Tensor external) {
            checkOpen();
            if (external == null || external.isClosed()) {
                throw new IllegalArgumentException("external: expected an open tensor, got " + external);
            }
            backend.checkAccessible("external", external);
            if (external.isBacked() && ConfinedMemory.isConfined(external.segment())) {
                confinedTo = Thread.currentThread(); // checkAccessible: this thread is the owner
                confinedParameter = external;
            }
            Role previous = roles.putIfAbsent(external, Role.EXTERNAL_PARAMETER);
            if (previous != null && previous != Role.EXTERNAL_PARAMETER) {
                throw new IllegalArgumentException("external: already a " + previous + " of this pipeline");
            }
            return external;
        }

        /**
         * Adds an op by type name; returns its single output.
         *
         * @param opType the op type name, e.g. {@code InstanceNorm}
         * @param attributes the op's attributes
         * @param opInputs the op's inputs: pipeline inputs, parameters or earlier outputs
         * @return the op's output
         */
        public Tensor op(String opType, Attributes attributes, Tensor... opInputs) {
            return single(ops(opType, attributes, opInputs), opType);
        }

        /**
         * Adds an op by type name; returns all its outputs.
         *
         * @param opType the op type name, e.g. {@code InstanceNorm}
         * @param attributes the op's attributes
         * @param opInputs the op's inputs: pipeline inputs, parameters or earlier outputs
         * @return the op's outputs, in order
         */
        public List<Tensor> ops(String opType, Attributes attributes, Tensor... opInputs) {
            checkOpen();
            OpRegistry ops = registry != null ? registry : OpRegistry.standard();
            return add(ops.create(opType, attributes == null ? Attributes.empty() : attributes, backend), opInputs);
        }

        /**
         * Adds an execution; returns its single output.
         *
         * @param execution the execution, owned by the pipeline from now on
         * @param opInputs the op's inputs: pipeline inputs, parameters or earlier outputs
         * @return the execution's output
         */
        public Tensor op(Execution execution, Tensor... opInputs) {
            return single(add(execution, opInputs), execution.name());
        }

        /**
         * Adds an execution; returns all its outputs, new tensors of the types it declares.
         *
         * @param execution the execution, owned by the pipeline from now on
         * @param opInputs the op's inputs: pipeline inputs, parameters or earlier outputs
         * @return the execution's outputs, in order
         */
        public List<Tensor> add(Execution execution, Tensor... opInputs) {
            checkOpen();
            List<Tensor> in = checkInputs(execution, opInputs);
            List<TensorType> types = execution.outputTypes(typesOf(in));
            List<Tensor> out = new ArrayList<>(types.size());
            for (TensorType type : types) {
                Tensor t = backend.newTensor(type);
                t.claimBy(claim);
                roles.put(t, Role.INTERMEDIATE);
                out.add(t);
            }
            steps.add(new Step(execution, in, List.copyOf(out), false, -1));
            return List.copyOf(out);
        }

        /**
         * Adds an execution whose output 0 is written over its input {@code overwritten}: that input's tensor is
         * returned as output 0 (later steps that read it read the op's result), so no memory is acquired for it and
         * the write-allocate traffic of a separate output is saved. The input must be an intermediate of this
         * pipeline (an earlier op's output, not a pipeline output) that no later step needs with its old value; the
         * execution must have been created to write over it (e.g. {@code inPlace=true}) and declare output 0 of the
         * input's type. The other outputs are new tensors, as with {@link #add}.
         *
         * @param execution   the op
         * @param overwritten the index among {@code opInputs} of the input written over
         * @param opInputs    the op's inputs
         * @return the outputs, output 0 being the overwritten input's tensor
         * @throws IllegalArgumentException when the input is not an intermediate of this pipeline, is a pipeline
         *                                  output, or has another type than output 0
         */
        public List<Tensor> addOverwriting(Execution execution, int overwritten, Tensor... opInputs) {
            checkOpen();
            List<Tensor> in = checkInputs(execution, opInputs);
            if (overwritten < 0 || overwritten >= in.size()) {
                throw new IllegalArgumentException("overwritten: expected an input index in [0, " + in.size()
                        + "), got " + overwritten);
            }
            Tensor target = in.get(overwritten);
            if (roles.get(target) != Role.INTERMEDIATE || outputs.contains(target)) {
                throw new IllegalArgumentException("overwritten: expected an intermediate of this pipeline that is"
                        + " not a pipeline output, got " + target + " (" + roles.get(target) + ")");
            }
            List<TensorType> types = execution.outputTypes(typesOf(in));
            if (types.isEmpty() || !types.get(0).equals(target.type())) {
                throw new IllegalArgumentException("overwritten: op " + execution.name() + " declares output 0 "
                        + (types.isEmpty() ? "none" : types.get(0)) + ", expected the input's type " + target.type());
            }
            List<Tensor> out = new ArrayList<>(types.size());
            out.add(target);
            for (TensorType type : types.subList(1, types.size())) {
                Tensor t = backend.newTensor(type);
                t.claimBy(claim);
                roles.put(t, Role.INTERMEDIATE);
                out.add(t);
            }
            steps.add(new Step(execution, in, List.copyOf(out), false, overwritten));
            return List.copyOf(out);
        }

        /**
         * Adds an execution that writes its outputs in place into {@code targets}, which must be parameters of
         * this pipeline of exactly the declared output types (e.g. an SGD step updating weights). The op may also
         * read the targets among its inputs.
         *
         * @param execution the execution, owned by the pipeline from now on
         * @param opInputs the op's inputs: pipeline inputs, parameters or earlier outputs
         * @param targets parameters of this pipeline, overwritten in place
         * @return this builder
         */
        public Builder update(Execution execution, List<Tensor> opInputs, List<Tensor> targets) {
            checkOpen();
            List<Tensor> in = checkInputs(execution, opInputs.toArray(new Tensor[0]));
            for (Tensor target : targets) {
                Role role = roles.get(target);
                if (role != Role.OWNED_PARAMETER && role != Role.EXTERNAL_PARAMETER) {
                    throw new IllegalArgumentException("targets: expected parameters of this pipeline, got "
                            + target + (role == null ? "" : " (a " + role + ")"));
                }
                if (target.isReadOnly()) {
                    throw new IllegalArgumentException("targets: " + target + " is read-only");
                }
            }
            List<TensorType> types = execution.outputTypes(typesOf(in));
            if (types.size() != targets.size()) {
                throw new IllegalArgumentException("targets: op " + execution.name() + " declares " + types.size()
                        + " outputs, got " + targets.size() + " targets");
            }
            for (int i = 0; i < types.size(); i++) {
                if (!types.get(i).equals(targets.get(i).type())) {
                    throw new IllegalArgumentException("targets[" + i + "]: op " + execution.name()
                            + " writes " + types.get(i) + ", got parameter " + targets.get(i).type());
                }
            }
            steps.add(new Step(execution, in, List.copyOf(targets), true, -1));
            return this;
        }

        /**
         * Marks op outputs as pipeline outputs: never released, readable after {@link Pipeline#run()}.
         *
         * @param tensors outputs of ops of this pipeline
         * @return this builder
         */
        public Builder output(Tensor... tensors) {
            checkOpen();
            for (Tensor t : tensors) {
                if (roles.get(t) != Role.INTERMEDIATE && roles.get(t) != Role.OUTPUT) {
                    throw new IllegalArgumentException("output: expected an op output of this pipeline, got " + t);
                }
                if (!outputs.contains(t)) {
                    outputs.add(t);
                }
            }
            return this;
        }

        /**
         * Builds the pipeline and resizes it once.
         *
         * @return the pipeline, planned and ready to run
         * @throws IllegalArgumentException when an op refuses its input shapes
         */
        public Pipeline build() {
            checkOpen();
            built = true;
            Pipeline pipeline = new Pipeline(this);
            try {
                pipeline.resize();
            } catch (Throwable e) {
                pipeline.close();
                throw e;
            }
            return pipeline;
        }

        private List<Tensor> checkInputs(Execution execution, Tensor[] opInputs) {
            if (execution == null) {
                throw new IllegalArgumentException("execution: expected an Execution, got null");
            }
            for (int i = 0; i < opInputs.length; i++) {
                if (opInputs[i] == null || !roles.containsKey(opInputs[i])) {
                    throw new IllegalArgumentException("op " + execution.name() + ": input " + i
                            + " is not a tensor of this pipeline (declare it with input(), parameter() or as an"
                            + " op output first): " + opInputs[i]);
                }
            }
            return List.copyOf(Arrays.asList(opInputs));
        }

        private static List<TensorType> typesOf(List<Tensor> tensors) {
            List<TensorType> types = new ArrayList<>(tensors.size());
            for (Tensor t : tensors) {
                types.add(t.type());
            }
            return types;
        }

        private static Tensor single(List<Tensor> outs, String op) {
            if (outs.size() != 1) {
                throw new IllegalArgumentException("op " + op + ": expected one output, it has " + outs.size()
                        + "; use ops()/add() for several");
            }
            return outs.get(0);
        }

        private void checkOpen() {
            if (built) {
                throw new IllegalStateException("builder already built its pipeline");
            }
        }
    }
}
