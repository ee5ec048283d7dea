package dev.ingot.runtime;

import java.util.List;

/**
 * One op family's registration: the creators of its ops, their gradient rules and their float64 references,
 * declared together in one class. Found through {@link java.util.ServiceLoader}: a module {@code provides
 * dev.ingot.runtime.OpProvider with ...} (and lists it in {@code META-INF/services} for the class path).
 * {@link OpRegistry#standard()}, {@code GradRegistry.standard()} and {@code ReferenceEvaluator.standard()} each
 * take the registrations of their type ({@link OpCreator}, {@code OpGrad}, {@code ReferenceOp}) from every provider.
 *
 * <p>Implementations are stateless and thread-safe, with a public no-argument constructor.
 */
public interface OpProvider {

    /**
     * The family's name, for messages (e.g. {@code "normalization"}).
     *
     * @return a short name
     */
    String family();

    /**
     * Everything the family registers: {@link OpCreator}s, gradient rules and references, in any order.
     *
     * @return a new or immutable list; each element implements one of the registered service types
     */
    List<Object> registrations();

    /**
     * The registrations of one type from every provider found through {@link java.util.ServiceLoader}.
     *
     * @param type the service type, e.g. {@link OpCreator}
     * @param <T>  the service type
     * @return the providers' registrations of that type, in provider order
     * @throws IllegalStateException when a provider cannot be loaded (the cause says why)
     */
    static <T> List<T> loaded(Class<T> type) {
        return OpProviders.INSTANCE.registrations(type);
    }
}
