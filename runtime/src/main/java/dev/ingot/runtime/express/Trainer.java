package dev.ingot.runtime.express;

import dev.ingot.allocator.AllocatorStats;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.MemoryPlan;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.Tensor;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A planned training step: forward, backward (built by {@link Grad}) and an {@link SgdMomentum} update of every
 * parameter, compiled into one pipeline. Parameters and their momentum buffers are STATIC; every other tensor is
 * DYNAMIC and shares memory as the plan allows. {@link #step()} is one pipeline run and allocates nothing.
 *
 * <p>Ownership: the trainer owns its program; {@link #close()} frees it (trained values are read before, through
 * {@link #tensor}).
 *
 * <p>Thread-safety: one thread at a time, checked as for {@link dev.ingot.runtime.Pipeline}: while one thread
 * holds the trainer ({@link #hold()}) or runs a step, another thread's {@link #step()}, {@link #loss()} or use of
 * one of its tensors throws {@link IllegalStateException}.
 */
public final class Trainer implements AutoCloseable {
    private final Program program;
    private final Tensor loss;
    private final Grad.Gradients gradients;

    private Trainer(Program program, Tensor loss, Grad.Gradients gradients) {
        this.program = program;
        this.loss = loss;
        this.gradients = gradients;
    }

    /**
     * Compiles a training step with ops from {@link OpRegistry#standard()} and rules from
     * {@link GradRegistry#standard()}.
     *
     * @param loss       a single-element expression
     * @param parameters the {@link Expr.Kind#PARAMETER} leaves to train
     * @param backend the backend that runs the ops and owns their memory
     * @param optimizer the update rule and its hyperparameters
     * @return the trainer, planned and ready to step
     * @throws IllegalArgumentException when the loss is not a single element, a parameter is not a trainable leaf
     *                                  the loss depends on, or an op refuses its inputs
     * @throws IllegalStateException    when an op between the loss and a parameter has no gradient rule
     */
    public static Trainer compile(CpuBackend backend, Expr loss, List<Expr> parameters, SgdMomentum optimizer) {
        return compile(backend, OpRegistry.standard(), GradRegistry.standard(), loss, parameters, optimizer);
    }

    /**
     * As {@link #compile(CpuBackend, Expr, List, SgdMomentum)} with explicit registries.
     *
     * @param backend the backend that runs the ops and owns their memory
     * @param ops where op types are looked up
     * @param rules the gradient rules
     * @param loss a single-element expression to minimise
     * @param parameters the trainable parameters to differentiate with respect to
     * @param optimizer the update rule and its hyperparameters
     * @return the trainer, planned and ready to step
     */
    public static Trainer compile(CpuBackend backend, OpRegistry ops, GradRegistry rules, Expr loss,
                                  List<Expr> parameters, SgdMomentum optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer: expected an SgdMomentum, got null");
        }
        if (loss == null || loss.type().elementCount() != 1) {
            throw new IllegalArgumentException("loss: expected an expression of one element, got " + loss);
        }
        for (Expr p : parameters) {
            if (p == null || p.kind() != Expr.Kind.PARAMETER) {
                throw new IllegalArgumentException("parameters: expected PARAMETER leaves, got " + p);
            }
        }
        Graph graph = loss.graph();
        Expr seed = graph.constant("d(" + loss.name() + ")", loss.type(), new float[]{1f});
        Grad.Gradients gradients = Grad.of(loss, seed, parameters, rules);
        Program.Builder builder = Program.builder(backend, ops).output(loss);
        for (Expr p : parameters) {
            Expr velocity = graph.state(p.name() + ".velocity", p.type(), null);
            builder.update(SgdMomentum.OP_TYPE, optimizer.attributes(),
                    new ArrayList<>(List.of(p, velocity, gradients.of(p))), List.of(p, velocity));
        }
        Program program = builder.build();
        return new Trainer(program, program.tensor(loss), gradients);
    }

    /** One training step: forward, backward, update. Allocates nothing. */
    public void step() {
        program.run();
    }

    /**
     * Makes the calling thread the trainer's holder until the hold is closed (write inputs, step, read the loss and
     * parameters as one unit): see {@link dev.ingot.runtime.Pipeline#hold()}.
     *
     * @return the hold, to close on the same thread
     * @throws IllegalStateException when another thread holds the trainer or runs a step
     */
    public dev.ingot.runtime.Pipeline.Hold hold() {
        return program.hold();
    }

    /**
     * The loss computed by the last {@link #step()} (before that step's update). Allocates nothing.
     *
     * @return the loss
     */
    public float loss() {
        return loss.segment().get(ValueLayout.JAVA_FLOAT, 0);
    }

    /**
     * The tensor of a leaf: write inputs before a step, read parameters after.
     *
     * @param leaf an input, parameter or state of the compiled graph
     * @return its tensor
     */
    public Tensor tensor(Expr leaf) {
        return program.tensor(leaf);
    }

    /**
     * The backward expressions, per parameter.
     *
     * @return the backward expressions, per parameter
     */
    public Grad.Gradients gradients() {
        return gradients;
    }

    /**
     * The memory plan of the step's pipeline.
     *
     * @return the memory plan of the step's pipeline
     */
    public MemoryPlan plan() {
        return program.plan();
    }

    /**
     * Statistics of the step pipeline's dynamic allocator.
     *
     * @return the statistics
     */
    public AllocatorStats dynamicAllocatorStats() {
        return program.dynamicAllocatorStats();
    }

    /**
     * The compiled program.
     *
     * @return the compiled program
     */
    public Program program() {
        return program;
    }

    /** Frees the program. Idempotent. */
    @Override
    public void close() {
        program.close();
    }
}
