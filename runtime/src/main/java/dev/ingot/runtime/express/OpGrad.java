package dev.ingot.runtime.express;

import java.util.List;

/**
 * The gradient rule of one forward op type, as MNN's {@code OpGrad}: given the gradients of a node's outputs, builds
 * the expressions of its inputs' gradients (in the node's graph, from ops of the registry). Rules are found by
 * {@link GradRegistry#standard()} through {@link java.util.ServiceLoader}: a module {@code provides
 * dev.ingot.runtime.express.OpGrad with ...}. Implementations are stateless and thread-safe, with a public
 * no-argument constructor.
 */
public interface OpGrad {

    /**
     * The forward op type this rule differentiates, e.g. {@code InstanceNorm}.
     *
     * @return the op type
     */
    String opType();

    /**
     * The gradients of the node's inputs.
     *
     * @param node        an output of the forward node (its inputs, attributes and other outputs are reachable
     *                    from it)
     * @param outputGrads one entry per output of the node: the gradient of the loss with respect to that output
     *                    (of its type), or null when none flows back through it; at least one is non-null
     * @param needed      one entry per input: whether a gradient is wanted for it (others may be null)
     * @return one entry per input: its gradient, of exactly the input's type; null where not needed, or where the
     *         input does not influence the outputs (a zero gradient, e.g. an input read only for its shape)
     * @throws IllegalStateException when the rule cannot differentiate this use of the op (the message says why)
     */
    List<Expr> backward(Expr node, List<Expr> outputGrads, boolean[] needed);
}
