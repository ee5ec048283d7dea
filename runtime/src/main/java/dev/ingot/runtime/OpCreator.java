package dev.ingot.runtime;

/**
 * Makes executions of one op type: the Java form of MNN's {@code CPUBackend::Creator}. An op family registers its
 * creators (usually made with {@link #of}) in its {@link OpProvider}; a creator may also be provided on its own
 * ({@code provides dev.ingot.runtime.OpCreator with ...}, then with a public no-argument constructor). Either way
 * {@link OpRegistry#standard()} finds it. Implementations are stateless and thread-safe.
 */
public interface OpCreator {

    /**
     * The op type name, following MNN's schema: {@code InstanceNorm}, {@code InstanceNormGrad}, ...
     *
     * @return the op type name
     */
    String opType();

    /**
     * A new execution for these attributes on this backend.
     *
     * @param attributes the op's attributes
     * @param backend the backend the execution runs on
     * @return the execution
     * @throws IllegalArgumentException when an attribute is invalid
     */
    Execution create(Attributes attributes, CpuBackend backend);

    /**
     * A creator of {@code opType} that calls {@code factory}: an op family needs no class per op.
     *
     * @param opType  the op type name
     * @param factory makes an execution from the attributes and the backend (may throw
     *                {@link IllegalArgumentException} for invalid attributes)
     * @return a stateless, thread-safe creator
     * @throws IllegalArgumentException when the op type is blank or the factory null
     */
    static OpCreator of(String opType, java.util.function.BiFunction<Attributes, CpuBackend, Execution> factory) {
        if (opType == null || opType.isBlank() || factory == null) {
            throw new IllegalArgumentException("op creator: expected an op type and a factory, got " + opType + ", "
                    + factory);
        }
        return new OpCreator() {
            @Override
            public String opType() {
                return opType;
            }

            @Override
            public Execution create(Attributes attributes, CpuBackend backend) {
                return factory.apply(attributes, backend);
            }

            @Override
            public String toString() {
                return "OpCreator[" + opType + "]";
            }
        };
    }
}
