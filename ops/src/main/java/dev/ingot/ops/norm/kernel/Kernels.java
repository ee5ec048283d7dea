package dev.ingot.ops.norm.kernel;

import java.util.Locale;
import java.util.Optional;

/**
 * Picks the kernel implementations once per JVM.
 *
 * <p>The Vector API kernels are used when the {@code jdk.incubator.vector} module is in the boot layer (the JVM ran
 * with {@code --add-modules jdk.incubator.vector}); their class is loaded only then, so this module works without
 * it. The system property {@value #PROPERTY} overrides the choice: {@code scalar} forces the plain Java kernels,
 * {@code vector} asks for the Vector API ones (falling back, with a warning, when they cannot load).
 */
public final class Kernels {
    /** System property: {@code scalar}, {@code vector} or unset (automatic). */
    public static final String PROPERTY = "ingot.kernels";

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_CLASS = "dev.ingot.ops.norm.kernel.VectorPlaneKernels";

    private static final PlaneKernels PLANE = choose(System.getProperty(PROPERTY, ""));

    private Kernels() {
    }

    /** The plane kernels this JVM uses. */
    public static PlaneKernels plane() {
        return PLANE;
    }

    /** The channels-last kernels (plain Java in both modes for now). */
    public static RowKernels rows() {
        return RowKernels.INSTANCE;
    }

    /** The plain Java plane kernels. */
    public static PlaneKernels scalar() {
        return ScalarPlaneKernels.INSTANCE;
    }

    /** The Vector API plane kernels, or empty when the module is absent or the platform has no usable shape. */
    public static Optional<PlaneKernels> vector() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return Optional.empty();
        }
        try {
            Class<?> type = Class.forName(VECTOR_CLASS);
            return Optional.of((PlaneKernels) type.getConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Vector API kernels unavailable, using scalar kernels: " + e);
            return Optional.empty();
        }
    }

    /** The kernels for a value of {@value #PROPERTY}. */
    static PlaneKernels choose(String property) {
        String wanted = property.trim().toLowerCase(Locale.ROOT);
        PlaneKernels chosen;
        if (wanted.equals("scalar")) {
            chosen = scalar();
        } else {
            chosen = vector().orElse(scalar());
            if (wanted.equals("vector") && chosen == scalar()) {
                LOG.log(System.Logger.Level.WARNING, PROPERTY + "=vector requested but the Vector API is not available");
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "instance-norm kernels: " + chosen.getClass().getSimpleName());
        return chosen;
    }
}
