package dev.ingot.runtime.express;

import dev.ingot.allocator.AllocatorStats;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.MemoryPlan;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.Pipeline;
import dev.ingot.runtime.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Expressions compiled into one {@link Pipeline}: every leaf becomes STATIC memory (inputs the caller writes;
 * parameters, state and constants written with their initial values), every op an execution whose outputs are
 * DYNAMIC and reused as the memory plan allows, and in-place updates of parameters and state run last, in the order
 * declared. {@link #run()} is one pipeline run: it allocates nothing.
 *
 * <p>Ownership: the program owns its pipeline and every tensor in it; {@link #close()} frees them. Tensors
 * returned by {@link #tensor} are handles into the pipeline, valid until close.
 *
 * <p>Thread-safety: one thread at a time, checked as for {@link Pipeline} (another thread's run, or use of one of
 * the program's tensors, while one thread holds it or runs it throws {@link IllegalStateException}); use
 * {@link #hold()} to write inputs, run and read results as one unit.
 */
public final class Program implements AutoCloseable {
    private final Pipeline pipeline;
    private final Map<Expr, Tensor> tensors;

    private Program(Pipeline pipeline, Map<Expr, Tensor> tensors) {
        this.pipeline = pipeline;
        this.tensors = tensors;
    }

    /**
     * A builder for a program on {@code backend}, with ops from {@link OpRegistry#standard()}.
     *
     * @param backend the backend that runs the ops and owns their memory
     * @return the builder
     */
    public static Builder builder(CpuBackend backend) {
        return new Builder(backend, OpRegistry.standard());
    }

    /**
     * A builder for a program on {@code backend}, with ops from {@code registry}.
     *
     * @param backend the backend that runs the ops and owns their memory
     * @param registry where op types are looked up
     * @return the builder
     */
    public static Builder builder(CpuBackend backend, OpRegistry registry) {
        return new Builder(backend, registry);
    }

    /**
     * The tensor of a leaf or an output of this program: write inputs through it before {@link #run()}, read
     * outputs, parameters and state after.
     *
     * @param expr a leaf or an output of this program
     * @return its tensor
     * @throws IllegalArgumentException when the expression is not a leaf or output of this program
     */
    public Tensor tensor(Expr expr) {
        Tensor t = tensors.get(expr);
        if (t == null) {
            throw new IllegalArgumentException("expr: expected a leaf or output of this program, got " + expr);
        }
        return t;
    }

    /**
     * True when {@code expr} is a leaf or output of this program (a leaf the outputs do not need is not).
     *
     * @param expr a leaf or an output of this program
     * @return true when {@code expr} is a leaf or output of this program (a leaf the outputs do not need is not)
     */
    public boolean contains(Expr expr) {
        return tensors.containsKey(expr);
    }

    /** Runs the pipeline once; allocates nothing. */
    public void run() {
        pipeline.run();
    }

    /**
     * Makes the calling thread the holder of the program's pipeline until the hold is closed: see
     * {@link Pipeline#hold()}.
     *
     * @return the hold, to close on the same thread
     * @throws IllegalStateException when another thread holds or runs the program
     */
    public Pipeline.Hold hold() {
        return pipeline.hold();
    }

    /**
     * The pipeline's memory plan.
     *
     * @return the pipeline's memory plan
     */
    public MemoryPlan plan() {
        return pipeline.plan();
    }

    /**
     * Statistics of the pipeline's dynamic allocator after its last resize.
     *
     * @return the statistics
     */
    public AllocatorStats dynamicAllocatorStats() {
        return pipeline.dynamicAllocatorStats();
    }

    /**
     * The compiled pipeline (owned by this program).
     *
     * @return the compiled pipeline (owned by this program)
     */
    public Pipeline pipeline() {
        return pipeline;
    }

    /** Frees the pipeline and all its tensors. Idempotent. */
    @Override
    public void close() {
        pipeline.close();
    }

    /** Declares what to compute. Not thread-safe. */
    public static final class Builder {
        private record Update(String opType, Attributes attributes, List<Expr> inputs, List<Expr> targets) {
        }

        private final CpuBackend backend;
        private final OpRegistry registry;
        private final List<Expr> outputs = new ArrayList<>();
        private final List<Update> updates = new ArrayList<>();

        private Builder(CpuBackend backend, OpRegistry registry) {
            if (backend == null || registry == null) {
                throw new IllegalArgumentException("backend, registry: expected non-null, got " + backend + ", "
                        + registry);
            }
            this.backend = backend;
            this.registry = registry;
        }

        /**
         * Expressions to compute and keep readable after each run.
         *
         * @param exprs the expressions
         * @return this builder
         */
        public Builder output(Expr... exprs) {
            for (Expr e : exprs) {
                if (e == null) {
                    throw new IllegalArgumentException("exprs: expected expressions, got null");
                }
                outputs.add(e);
            }
            return this;
        }

        /**
         * An op run after everything else whose outputs overwrite {@code targets} (parameters or state) in place,
         * e.g. an optimizer step. Its inputs may include the targets.
         *
         * @param opType the op type name, e.g. {@code InstanceNorm}
         * @param attributes the op's attributes
         * @param inputs the op's inputs
         * @param targets parameters or state, overwritten in place by the op's outputs
         * @return this builder
         * @throws IllegalArgumentException when a target is not a parameter or state leaf
         */
        public Builder update(String opType, Attributes attributes, List<Expr> inputs, List<Expr> targets) {
            for (Expr t : targets) {
                if (t.kind() != Expr.Kind.PARAMETER && t.kind() != Expr.Kind.STATE) {
                    throw new IllegalArgumentException("targets: expected parameters or state, got " + t);
                }
            }
            updates.add(new Update(opType, attributes, List.copyOf(inputs), List.copyOf(targets)));
            return this;
        }

        /**
         * Compiles and plans the pipeline (one resize).
         *
         * @return the program
         * @throws IllegalArgumentException when an op refuses its inputs, or the expressions mix graphs
         */
        public Program build() {
            List<Node> roots = new ArrayList<>();
            outputs.forEach(e -> roots.add(e.node()));
            updates.forEach(u -> u.inputs.forEach(e -> roots.add(e.node())));
            List<Node> order = Grad.reachable(roots.toArray(new Node[0])).reversed();
            Pipeline.Builder pb = Pipeline.builder(backend, registry);
            Map<Expr, Tensor> tensors = new IdentityHashMap<>();
            try {
                return build(order, pb, tensors);
            } catch (Throwable e) {
                tensors.values().forEach(Tensor::close); // STATIC leaves taken before the failure
                throw e;
            }
        }

        private Program build(List<Node> order, Pipeline.Builder pb, Map<Expr, Tensor> tensors) {
            for (Node n : order) {
                if (n.kind == Expr.Kind.OP) {
                    Tensor[] in = tensorsOf(n.inputs, tensors);
                    List<Tensor> out = pb.add(registry.create(n.opType, n.attributes, backend), in);
                    for (int i = 0; i < out.size(); i++) {
                        tensors.put(n.outputs.get(i), out.get(i));
                    }
                } else if (n.kind == Expr.Kind.INPUT) {
                    tensors.put(n.outputs.get(0), pb.input(n.outputTypes.get(0)));
                } else {
                    Tensor t = pb.parameter(n.outputTypes.get(0));
                    t.copyFrom(n.data);
                    tensors.put(n.outputs.get(0), t);
                }
            }
            for (Expr e : outputs) {
                if (!e.isLeaf()) {
                    pb.output(tensors.get(e));
                }
            }
            for (Update u : updates) {
                pb.update(registry.create(u.opType, u.attributes, backend), List.of(tensorsOf(u.inputs, tensors)),
                        List.of(tensorsOf(u.targets, tensors)));
            }
            Pipeline pipeline = pb.build();
            Map<Expr, Tensor> visible = new IdentityHashMap<>();
            tensors.forEach((e, t) -> {
                if (e.isLeaf() || outputs.contains(e)) {
                    visible.put(e, t);
                }
            });
            return new Program(pipeline, visible);
        }

        private static Tensor[] tensorsOf(List<Expr> exprs, Map<Expr, Tensor> tensors) {
            Tensor[] out = new Tensor[exprs.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = tensors.get(exprs.get(i));
                if (out[i] == null) {
                    throw new IllegalArgumentException("expression " + exprs.get(i) + " is not part of the program"
                            + " (targets must also be reachable from the outputs or update inputs)");
                }
            }
            return out;
        }
    }
}
