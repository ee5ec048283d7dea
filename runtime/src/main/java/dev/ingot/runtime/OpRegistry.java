package dev.ingot.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Op type name to {@link OpCreator}. {@link #standard()} holds every creator registered by an {@link OpProvider}
 * or provided on its own, found by {@link ServiceLoader}
 * (loaded once, cached); {@link #of} builds a registry from explicit creators. Immutable and thread-safe.
 */
public final class OpRegistry {

    private static volatile OpRegistry standard;

    private final TreeMap<String, OpCreator> creators;

    private OpRegistry(TreeMap<String, OpCreator> creators) {
        this.creators = creators;
    }

    /**
     * The creators found through {@link ServiceLoader}; loaded at first use, then cached.
     *
     * @return the standard registry
     * @throws IllegalStateException when a provider cannot be loaded (the cause says why); a later call tries again
     */
    public static OpRegistry standard() {
        OpRegistry registry = standard;
        if (registry == null) {
            synchronized (OpRegistry.class) {
                registry = standard;
                if (registry == null) {
                    try {
                        List<OpCreator> creators = new ArrayList<>(OpProvider.loaded(OpCreator.class));
                        ServiceLoader.load(OpCreator.class, OpRegistry.class.getClassLoader()).stream()
                                .map(ServiceLoader.Provider::get).forEach(creators::add);
                        registry = of(creators);
                    } catch (ServiceConfigurationError e) {
                        throw new IllegalStateException("cannot load the OpCreator providers: " + e.getMessage(), e);
                    }
                    standard = registry;
                }
            }
        }
        return registry;
    }

    /**
     * A registry of exactly these creators.
     *
     * @param list the creators, one per op type
     * @return the registry
     * @throws IllegalArgumentException when two creators claim the same op type
     */
    public static OpRegistry of(List<? extends OpCreator> list) {
        TreeMap<String, OpCreator> map = new TreeMap<>();
        for (OpCreator creator : list) {
            OpCreator previous = map.putIfAbsent(creator.opType(), creator);
            if (previous != null) {
                throw new IllegalArgumentException("op type '" + creator.opType() + "': expected one creator, got "
                        + previous.getClass().getName() + " and " + creator.getClass().getName());
            }
        }
        return new OpRegistry(map);
    }

    /**
     * The known op types, sorted.
     *
     * @return the known op types, sorted
     */
    public Set<String> opTypes() {
        return Collections.unmodifiableSet(creators.keySet());
    }

    /**
     * True when {@code opType} is known.
     *
     * @param opType the op type name, e.g. {@code InstanceNorm}
     * @return true when {@code opType} is known
     */
    public boolean contains(String opType) {
        return creators.containsKey(opType);
    }

    /**
     * A new execution of {@code opType}.
     *
     * @param opType the op type name, e.g. {@code InstanceNorm}
     * @param attributes the op's attributes
     * @param backend the backend the execution runs on
     * @return the execution
     * @throws IllegalArgumentException when the op type is unknown (the message lists the known ones) or an
     *                                  attribute is invalid
     */
    public Execution create(String opType, Attributes attributes, CpuBackend backend) {
        OpCreator creator = creators.get(opType);
        if (creator == null) {
            throw new IllegalArgumentException("opType: unknown op type '" + opType + "'; known: " + creators.keySet()
                    + (creators.isEmpty() ? " (is the ops module on the module path?)" : ""));
        }
        return creator.create(attributes == null ? Attributes.empty() : attributes, backend);
    }
}
