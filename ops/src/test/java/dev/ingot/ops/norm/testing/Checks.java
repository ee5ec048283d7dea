package dev.ingot.ops.norm.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions shared by the tests. */
public final class Checks {
    /** The bound on every output's normwise relative error. */
    public static final double TOLERANCE = 1e-5;

    private Checks() {
    }

    /** Asserts max|out - ref| / max|ref| <= {@link #TOLERANCE}. */
    public static void assertWithin(String what, float[] out, double[] ref) {
        double err = Reference.relativeError(out, ref);
        assertTrue(err <= TOLERANCE, what + ": relative error " + err + " > " + TOLERANCE);
    }
}
