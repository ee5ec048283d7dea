package dev.ingot.ops.norm.kernel;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Looks up the {@link KernelSet} once per JVM, as Lucene's {@code VectorizationProvider.lookup} does, and logs the
 * reason for every fallback.
 *
 * <p>The Vector API set is used when the {@code jdk.incubator.vector} module is in the boot layer (the JVM ran with
 * {@code --add-modules jdk.incubator.vector}), its preferred float vector has at least 128 bits, and HotSpot's C2
 * compiler is on (interpreted or C1-compiled vector code is many times slower than the scalar loops). Otherwise
 * the scalar set runs; a missing module is logged once at WARNING with the flag that adds it, the other fallbacks
 * at WARNING or INFO with their cause. The system property {@value #PROPERTY} overrides the choice: {@code scalar}
 * forces the plain Java kernels, {@code vector} asks for the Vector API ones (falling back, with a warning, when
 * they cannot load). In <em>test mode</em> the size and compiler checks are skipped, so that tests exercise the
 * vector kernels wherever they load. Thread-safe.
 */
public final class Kernels {
    /** System property: {@code scalar}, {@code vector} or unset (automatic). */
    public static final String PROPERTY = "ingot.kernels";
    /** The JVM option that makes the Vector API kernels available. */
    public static final String ADD_MODULES = "--add-modules jdk.incubator.vector";

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_SET = "dev.ingot.ops.norm.kernel.VectorKernelSet";
    private static final int MIN_VECTOR_BITS = 128;
    private static final AtomicBoolean MISSING_MODULE_LOGGED = new AtomicBoolean();

    private Kernels() {
    }

    /** Holds the JVM's choice: made on first use, not when this class loads. */
    private static final class Selected {
        static final KernelSet SET = lookup(System.getProperty(PROPERTY, ""), false);
    }

    /** The kernels this JVM uses. */
    public static KernelSet selected() {
        return Selected.SET;
    }

    /** The plane kernels this JVM uses. */
    public static PlaneKernels plane() {
        return selected().plane();
    }

    /** The plain Java kernels. */
    public static KernelSet scalarSet() {
        return new ScalarKernelSet("requested", CacheSizes.MACHINE);
    }

    /** The plain Java plane kernels. */
    public static PlaneKernels scalar() {
        return ScalarPlaneKernels.INSTANCE;
    }

    /**
     * The Vector API kernels as test mode finds them (no size or compiler checks), or empty when the module is
     * absent or the kernels cannot load here.
     */
    public static Optional<KernelSet> vectorSet() {
        KernelSet set = lookup("vector", true);
        return set instanceof VectorKernelSet ? Optional.of(set) : Optional.empty();
    }

    /** The Vector API plane kernels, or empty (see {@link #vectorSet()}). */
    public static Optional<PlaneKernels> vector() {
        return vectorSet().map(KernelSet::plane);
    }

    /**
     * The kernel set for a value of {@value #PROPERTY}, logging why when it is not the vector set.
     *
     * @param property {@code scalar}, {@code vector} or anything else (automatic)
     * @param testMode skip the checks that only decide whether the vector kernels pay off
     * @return the set to use; never null
     */
    public static KernelSet lookup(String property, boolean testMode) {
        return choose(property, testMode, ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent(), LOG);
    }

    /**
     * {@link #lookup} with the module's presence and the logger given, so that the fallback and its log can be
     * tested in any JVM.
     */
    static KernelSet choose(String property, boolean testMode, boolean modulePresent, System.Logger log) {
        String wanted = property.strip().toLowerCase(Locale.ROOT);
        CacheSizes caches = CacheSizes.MACHINE;
        if (wanted.equals("scalar")) {
            return fallback(log, System.Logger.Level.INFO, "-D" + PROPERTY + "=scalar forces the scalar kernels", caches);
        }
        if (!modulePresent) {
            String reason = "the Vector API module is absent; run java with " + ADD_MODULES
                    + " for the vector kernels";
            // once per JVM: every pipeline would otherwise repeat it
            boolean first = MISSING_MODULE_LOGGED.compareAndSet(false, true);
            return fallback(log, first ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, reason, caches);
        }
        KernelSet vector;
        try {
            vector = (KernelSet) Class.forName(VECTOR_SET)
                    .getDeclaredConstructor(String.class, CacheSizes.class)
                    .newInstance(VECTOR_MODULE + " is present", caches);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return fallback(log, System.Logger.Level.WARNING, "the Vector API kernels failed to load: " + cause, caches);
        }
        if (!testMode && vector.vectorBits() < MIN_VECTOR_BITS) {
            return fallback(log, System.Logger.Level.WARNING, "the preferred float vector has " + vector.vectorBits()
                    + " bits, fewer than " + MIN_VECTOR_BITS + " to pay off", caches);
        }
        if (!testMode && !HotSpotOptions.optimizingCompilerOn()) {
            return fallback(log, System.Logger.Level.WARNING,
                    "the C2 compiler is off (-Xint or -XX:TieredStopAtLevel<4): vector code would run slower than scalar",
                    caches);
        }
        log.log(System.Logger.Level.DEBUG, "norm kernels: " + vector);
        return vector;
    }

    private static KernelSet fallback(System.Logger log, System.Logger.Level level, String reason,
                                      CacheSizes caches) {
        log.log(level, "norm kernels: using the scalar kernels because " + reason);
        return new ScalarKernelSet(reason, caches);
    }
}
