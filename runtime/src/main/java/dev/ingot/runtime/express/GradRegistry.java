package dev.ingot.runtime.express;

import dev.ingot.runtime.OpProvider;
import java.util.Collections;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Op type to {@link OpGrad}, MNN's {@code GradOPRegister}. {@link #standard()} holds every rule registered by an
 * {@link OpProvider} or provided on its own, found by {@link ServiceLoader} (loaded once, cached); {@link #of} builds a registry from explicit rules. Unlike MNN, an op
 * without a rule is never skipped silently: {@link Grad} refuses it. Immutable and thread-safe.
 */
public final class GradRegistry {

    private static final class Standard {
        static final GradRegistry INSTANCE = of(Stream.concat(OpProvider.loaded(OpGrad.class).stream(),
                ServiceLoader.load(OpGrad.class, GradRegistry.class.getClassLoader()).stream()
                        .map(ServiceLoader.Provider::get)).toList());
    }

    private final TreeMap<String, OpGrad> rules;

    private GradRegistry(TreeMap<String, OpGrad> rules) {
        this.rules = rules;
    }

    /**
     * The rules found through {@link ServiceLoader}; loaded at first use.
     *
     * @return the standard registry
     */
    public static GradRegistry standard() {
        return Standard.INSTANCE;
    }

    /**
     * A registry of exactly these rules.
     *
     * @param list the rules, one per op type
     * @return the registry
     * @throws IllegalArgumentException when two rules claim the same op type
     */
    public static GradRegistry of(List<? extends OpGrad> list) {
        TreeMap<String, OpGrad> map = new TreeMap<>();
        for (OpGrad rule : list) {
            OpGrad previous = map.putIfAbsent(rule.opType(), rule);
            if (previous != null) {
                throw new IllegalArgumentException("op type '" + rule.opType() + "': expected one gradient rule, got "
                        + previous.getClass().getName() + " and " + rule.getClass().getName());
            }
        }
        return new GradRegistry(map);
    }

    /**
     * The op types that have a rule, sorted.
     *
     * @return the op types that have a rule, sorted
     */
    public Set<String> opTypes() {
        return Collections.unmodifiableSet(rules.keySet());
    }

    /**
     * True when {@code opType} has a rule.
     *
     * @param opType the op type name, e.g. {@code InstanceNorm}
     * @return true when {@code opType} has a rule
     */
    public boolean contains(String opType) {
        return rules.containsKey(opType);
    }

    /**
     * The rule of {@code opType}.
     *
     * @param opType the op type name, e.g. {@code InstanceNorm}
     * @return the rule
     * @throws IllegalStateException when there is none (the message names the op type and lists the known ones)
     */
    public OpGrad rule(String opType) {
        OpGrad rule = rules.get(opType);
        if (rule == null) {
            throw new IllegalStateException("no gradient rule for op type '" + opType + "' on the path from the loss"
                    + " to a parameter; rules exist for " + rules.keySet()
                    + (rules.isEmpty() ? " (is the ops module on the module path?)" : ""));
        }
        return rule;
    }
}
