package dev.ingot.runtime.express;

import dev.ingot.runtime.Attributes;

/**
 * Stochastic gradient descent with momentum, as PyTorch's {@code SGD(momentum=m)} without dampening:
 * {@code v = momentum * v + g; p = p - learningRate * v}, both in place. Runs as op type {@value #OP_TYPE} with
 * inputs (p, v, g) and outputs (p, v), attributes {@value #LEARNING_RATE} and {@value #MOMENTUM}.
 *
 * @param learningRate step size, finite and &gt; 0
 * @param momentum     velocity decay, in [0, 1)
 */
public record SgdMomentum(double learningRate, double momentum) {
    /** The op type of one update. */
    public static final String OP_TYPE = "SgdMomentum";
    /** Attribute: the learning rate (double). */
    public static final String LEARNING_RATE = "lr";
    /** Attribute: the momentum (double). */
    public static final String MOMENTUM = "momentum";

    /**
     * Checks the hyperparameters.
     *
     * @throws IllegalArgumentException for a learning rate not finite and positive, or momentum outside [0, 1)
     */
    public SgdMomentum {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate: expected a finite value > 0, got " + learningRate);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum: expected a value in [0, 1), got " + momentum);
        }
    }

    /**
     * The attributes of the update op.
     *
     * @return the attributes of the update op
     */
    public Attributes attributes() {
        return Attributes.of(LEARNING_RATE, learningRate, MOMENTUM, momentum);
    }
}
