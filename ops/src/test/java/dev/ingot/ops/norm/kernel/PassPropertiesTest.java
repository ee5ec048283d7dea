package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.testing.Reference.relativeError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.PassHarness.Config;
import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.ops.norm.testing.Reference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Properties of the passes over random small shapes, layouts, unit sizes and kernel sets. */
class PassPropertiesTest {

    private static Config config(boolean channelsLast, boolean vector, int unit) {
        KernelSet k = vector ? Kernels.vectorSet().orElseThrow() : Kernels.scalarSet();
        return new Config(channelsLast, unit, k, Parallel.SERIAL);
    }

    @Property(tries = 60)
    void backwardIsTheGradientOfTheForwardByFiniteDifferences(
            @ForAll @IntRange(min = 1, max = 2) int n, @ForAll @IntRange(min = 1, max = 3) int c,
            @ForAll @IntRange(min = 1, max = 12) int m, @ForAll long seed, @ForAll boolean channelsLast,
            @ForAll boolean vector, @ForAll @IntRange(min = 0, max = 5) int unit, @ForAll boolean savedStats) {
        Problem p = Problem.random(seed, n, c, m, true, true, 1e-3);
        Config cfg = config(channelsLast, vector, unit);
        PassHarness.Forward fwd = PassHarness.forward(p, cfg);
        PassHarness.Backward grad = PassHarness.backward(p, cfg, savedStats ? fwd : null, true, true, false);

        // Loss L = sum(dy * y(x, gamma, beta)), differentiated numerically in float64 (central differences).
        double[] x = Reference.widen(p.x());
        double[] gamma = Reference.widen(p.gamma());
        double[] beta = Reference.widen(p.beta());
        double[] dxNumeric = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            dxNumeric[i] = centralDifference(p, x, gamma, beta, x, i);
        }
        double[] dgammaNumeric = new double[c];
        double[] dbetaNumeric = new double[c];
        for (int ch = 0; ch < c; ch++) {
            dgammaNumeric[ch] = centralDifference(p, x, gamma, beta, gamma, ch);
            dbetaNumeric[ch] = centralDifference(p, x, gamma, beta, beta, ch);
        }
        assertTrue(relativeError(grad.dx(), dxNumeric) <= 1e-5, "dx vs finite differences: "
                + relativeError(grad.dx(), dxNumeric));
        assertTrue(relativeError(grad.dgamma(), dgammaNumeric) <= 1e-5, "dgamma vs finite differences");
        assertTrue(relativeError(grad.dbeta(), dbetaNumeric) <= 1e-5, "dbeta vs finite differences");
    }

    /**
     * dL/d varied[index] by the fourth-order central difference: on planes of two elements dx nearly cancels, and the
     * second-order difference's truncation error (about 1e-5 of dx there) would exceed the kernel's own error.
     */
    private static double centralDifference(Problem p, double[] x, double[] gamma, double[] beta,
                                            double[] varied, int index) {
        double saved = varied[index];
        double h = 1e-4 * Math.max(1, Math.abs(saved));
        double[] at = new double[4];
        double[] steps = {h, -h, 2 * h, -2 * h};
        for (int s = 0; s < 4; s++) {
            varied[index] = saved + steps[s];
            at[s] = loss(p, x, gamma, beta);
        }
        varied[index] = saved;
        return (8 * (at[0] - at[1]) - (at[2] - at[3])) / (12 * h);
    }

    private static double loss(Problem p, double[] x, double[] gamma, double[] beta) {
        double[] y = Reference.forward(x, p.n(), p.c(), p.m(), gamma, beta, p.eps()).y();
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += p.dy()[i] * y[i];
        }
        return l;
    }

    @Property(tries = 100)
    void dxSumsToZeroOverEachPlaneAndDbetaIsTheSumOfDy(
            @ForAll @IntRange(min = 1, max = 3) int n, @ForAll @IntRange(min = 1, max = 4) int c,
            @ForAll @IntRange(min = 1, max = 60) int m, @ForAll long seed, @ForAll boolean channelsLast,
            @ForAll boolean vector, @ForAll @IntRange(min = 0, max = 9) int unit, @ForAll boolean savedStats) {
        checkDxSumsToZeroAndDbeta(Problem.random(seed, n, c, m, true, true, 1e-5), config(channelsLast, vector, unit),
                savedStats);
    }

    /** The same on planes long enough for the vector kernels' float blocks, whole or cut into units. */
    @Property(tries = 30)
    void dxSumsToZeroOnPlanesSpanningFloatBlocks(
            @ForAll @IntRange(min = 1, max = 2) int c, @ForAll @IntRange(min = 500, max = 5000) int m,
            @ForAll long seed, @ForAll boolean channelsLast, @ForAll @IntRange(min = 0, max = 3000) int unit,
            @ForAll boolean savedStats) {
        checkDxSumsToZeroAndDbeta(Problem.random(seed, 1, c, m, true, true, 1e-5), config(channelsLast, true, unit),
                savedStats);
    }

    private static void checkDxSumsToZeroAndDbeta(Problem p, Config cfg, boolean savedStats) {
        int n = p.n(), c = p.c(), m = p.m();
        PassHarness.Backward grad = PassHarness.backward(p, cfg,
                savedStats ? PassHarness.forward(p, cfg) : null, true, true, false);
        for (int plane = 0; plane < n * c; plane++) {
            double sum = 0, magnitude = 0;
            for (int i = plane * m; i < (plane + 1) * m; i++) {
                sum += grad.dx()[i];
                magnitude += Math.abs(grad.dx()[i]);
            }
            assertTrue(Math.abs(sum) <= 1e-6 * magnitude, "plane " + plane + ": sum dx = " + sum);
        }
        for (int ch = 0; ch < c; ch++) {
            double sumDy = 0, magnitude = 0;
            for (int b = 0; b < n; b++) {
                for (int i = (b * c + ch) * m; i < (b * c + ch + 1) * m; i++) {
                    sumDy += p.dy()[i];
                    magnitude += Math.abs(p.dy()[i]);
                }
            }
            assertEquals(sumDy, grad.dbeta()[ch], 1e-6 * magnitude, "dbeta[" + ch + "]");
        }
    }

    /**
     * Factors are powers of two so that the scaled input is exactly representable: any other factor rounds x,
     * and on planes whose spread is tiny against |x| that rounding alone moves y by more than the op's error.
     */
    @Property(tries = 100)
    void rescalingXByAPositiveFactorLeavesYUnchanged(
            @ForAll @IntRange(min = 1, max = 3) int n, @ForAll @IntRange(min = 1, max = 4) int c,
            @ForAll @IntRange(min = 1, max = 60) int m, @ForAll long seed, @ForAll boolean channelsLast,
            @ForAll boolean vector, @ForAll @IntRange(min = 0, max = 9) int unit,
            @ForAll @IntRange(min = -20, max = 20) int log2Factor) {
        Problem p = Problem.random(seed, n, c, m, true, true, 1e-30);
        float factor = Math.scalb(1f, log2Factor);
        float[] scaled = p.x().clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= factor;
        }
        Config cfg = config(channelsLast, vector, unit);
        float[] y = PassHarness.forward(p, cfg).y();
        float[] yScaled = PassHarness.forward(p.withX(scaled), cfg).y();
        double err = relativeError(yScaled, Reference.widen(y));
        assertTrue(err <= 1e-6, "y changed by " + err + " under x -> " + factor + " x");
    }
}
