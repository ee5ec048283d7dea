package dev.ingot.runtime;

/**
 * Makes executions of one op type: the Java form of MNN's {@code CPUBackend::Creator}. Implementations are found
 * by {@link OpRegistry#standard()} through {@link java.util.ServiceLoader}: a module {@code provides
 * dev.ingot.runtime.OpCreator with ...} (and lists them in {@code META-INF/services} for the class path).
 * Implementations are stateless and thread-safe, with a public no-argument constructor.
 */
public interface OpCreator {

    /** The op type name, following MNN's schema: {@code InstanceNorm}, {@code InstanceNormGrad}, ... */
    String opType();

    /**
     * A new execution for these attributes on this backend.
     *
     * @throws IllegalArgumentException when an attribute is invalid
     */
    Execution create(Attributes attributes, CpuBackend backend);
}
