package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.PassHarness.Config;
import dev.ingot.ops.norm.testing.Problem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A NaN or infinity in one plane spoils that plane and the dgamma/dbeta entries it feeds, nothing else. */
class PassNonFiniteTest {

    static java.util.stream.Stream<Config> configs() {
        return PassAccuracyTest.configs();
    }

    @ParameterizedTest
    @MethodSource("configs")
    void badValueSpoilsOnlyItsPlane(Config cfg) {
        int n = 2, c = 3, m = 20;
        Problem clean = Problem.random(7, n, c, m, true, true, 1e-5);
        int spoiled = 1 * c + 2; // plane (n=1, c=2)
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (boolean inDy : new boolean[] {false, true}) {
                float[] x = clean.x().clone();
                float[] dy = clean.dy().clone();
                (inDy ? dy : x)[spoiled * m + 5] = bad;
                Problem p = new Problem(n, c, m, x, dy, clean.gamma(), clean.beta(), clean.eps());
                PassHarness.Forward good = PassHarness.forward(clean, cfg);
                PassHarness.Forward f = PassHarness.forward(p, cfg);
                for (PassHarness.Forward saved : new PassHarness.Forward[] {f, null}) {
                    PassHarness.Backward goodGrad =
                            PassHarness.backward(clean, cfg, saved == null ? null : good, true, true, false);
                    PassHarness.Backward g = PassHarness.backward(p, cfg, saved, true, true, false);
                    String what = "bad " + bad + (inDy ? " in dy" : " in x") + (saved == null ? ", recomputed" : ", saved");
                    for (int plane = 0; plane < n * c; plane++) {
                        boolean hit = plane == spoiled;
                        if (!inDy) {
                            assertPlane(hit, good.y(), f.y(), plane, m, "y, " + what);
                            assertPlane(hit, good.mean(), f.mean(), plane, 1, "mean, " + what);
                        }
                        assertPlane(hit, goodGrad.dx(), g.dx(), plane, m, "dx, " + what);
                    }
                    for (int ch = 0; ch < c; ch++) {
                        boolean hit = ch == spoiled % c;
                        assertParameter(hit, goodGrad.dgamma(), g.dgamma(), ch, "dgamma, " + what);
                        if (inDy) {
                            assertParameter(hit, goodGrad.dbeta(), g.dbeta(), ch, "dbeta, " + what);
                        }
                    }
                }
            }
        }
    }

    /**
     * A spoiled channel's dgamma or dbeta is not finite; a clean one is within 1e-6 of the largest clean value the
     * clean input gave. Not bitwise: whether a channel's float-lane sums are precise enough is judged against the
     * largest over the channels (see {@code BackwardPass}), which the spoiled channel no longer takes part in.
     */
    private static void assertParameter(boolean spoiled, float[] clean, float[] out, int channel, String what) {
        if (spoiled) {
            assertFalse(Float.isFinite(out[channel]), what + ": channel " + channel + " should be spoiled");
            return;
        }
        double largest = 0;
        for (float v : clean) {
            largest = Math.max(largest, Math.abs(v));
        }
        assertFalse(Float.isNaN(out[channel]), what + ": channel " + channel + " should be clean");
        assertTrue(Math.abs(out[channel] - clean[channel]) <= 1e-6 * largest,
                what + ": channel " + channel + " " + out[channel] + " vs " + clean[channel]);
    }

    /** A spoiled block holds a non-finite value; a clean block is bitwise what the clean input gave. */
    private static void assertPlane(boolean spoiled, float[] clean, float[] out, int block, int size, String what) {
        float[] expected = java.util.Arrays.copyOfRange(clean, block * size, (block + 1) * size);
        float[] actual = java.util.Arrays.copyOfRange(out, block * size, (block + 1) * size);
        if (spoiled) {
            boolean anyNonFinite = false;
            for (float v : actual) {
                anyNonFinite |= !Float.isFinite(v);
            }
            assertTrue(anyNonFinite, what + ": block " + block + " should be spoiled");
        } else {
            for (float v : actual) {
                assertFalse(Float.isNaN(v), what + ": block " + block + " should be clean");
            }
            assertArrayEquals(expected, actual, what + ": block " + block + " unchanged");
        }
    }
}
