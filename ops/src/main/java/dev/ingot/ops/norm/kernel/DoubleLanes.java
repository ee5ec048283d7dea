package dev.ingot.ops.norm.kernel;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the double-lane row and run kernels share: the preferred double species and the float species
 * of as many lanes (floats are loaded into it, then widened lane for lane). Static finals, so C2 folds them into the
 * kernels as if they were the kernels' own. Only vector kernel classes load this class.
 */
final class DoubleLanes {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int LANES = D.length();
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private DoubleLanes() {
    }

    /** Throws when the platform has no vector shape with at least two double lanes and a float twin. */
    static void requireUsable() {
        if (LANES < 2 || F.length() != LANES) {
            throw new UnsupportedOperationException("no vector shape with at least 2 double lanes: " + D);
        }
    }
}
