package dev.ingot.ops.norm.kernel;

import java.util.Locale;
import java.util.Optional;

/**
 * Picks the kernel implementations once per JVM.
 *
 * <p>The Vector API kernels are used when the {@code jdk.incubator.vector} module is in the boot layer (the JVM ran
 * with {@code --add-modules jdk.incubator.vector}); their classes are loaded only then, so this module works
 * without it. The system property {@value #PROPERTY} overrides the choice: {@code scalar} forces the plain Java
 * kernels, {@code vector} asks for the Vector API ones (falling back, with a warning, when they cannot load).
 */
public final class Kernels {
    /** System property: {@code scalar}, {@code vector} or unset (automatic). */
    public static final String PROPERTY = "ingot.kernels";

    private static final System.Logger LOG = System.getLogger(Kernels.class.getName());
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_PLANE = "dev.ingot.ops.norm.kernel.VectorPlaneKernels";
    private static final String VECTOR_ROWS = "dev.ingot.ops.norm.kernel.VectorRowKernels";
    private static final KernelSet SCALAR = new KernelSet(ScalarPlaneKernels.INSTANCE, ScalarRowKernels.INSTANCE);

    private static final KernelSet SELECTED = choose(System.getProperty(PROPERTY, ""));

    private Kernels() {
    }

    /** The kernels this JVM uses. */
    public static KernelSet selected() {
        return SELECTED;
    }

    /** The plane kernels this JVM uses. */
    public static PlaneKernels plane() {
        return SELECTED.plane();
    }

    /** The plain Java kernels. */
    public static KernelSet scalarSet() {
        return SCALAR;
    }

    /** The plain Java plane kernels. */
    public static PlaneKernels scalar() {
        return SCALAR.plane();
    }

    /** The Vector API kernels, or empty when the module is absent or the platform has no usable shape. */
    public static Optional<KernelSet> vectorSet() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return Optional.empty();
        }
        try {
            PlaneKernels plane = (PlaneKernels) Class.forName(VECTOR_PLANE).getConstructor().newInstance();
            RowKernels rows = (RowKernels) Class.forName(VECTOR_ROWS).getConstructor().newInstance();
            return Optional.of(new KernelSet(plane, rows));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Vector API kernels unavailable, using scalar kernels: " + e);
            return Optional.empty();
        }
    }

    /** The Vector API plane kernels, or empty (see {@link #vectorSet()}). */
    public static Optional<PlaneKernels> vector() {
        return vectorSet().map(KernelSet::plane);
    }

    /** The kernels for a value of {@value #PROPERTY}. */
    static KernelSet choose(String property) {
        String wanted = property.trim().toLowerCase(Locale.ROOT);
        KernelSet chosen;
        if (wanted.equals("scalar")) {
            chosen = SCALAR;
        } else {
            chosen = vectorSet().orElse(SCALAR);
            if (wanted.equals("vector") && chosen == SCALAR) {
                LOG.log(System.Logger.Level.WARNING, PROPERTY + "=vector requested but the Vector API is not available");
            }
        }
        LOG.log(System.Logger.Level.DEBUG, "instance-norm kernels: " + chosen);
        return chosen;
    }
}
