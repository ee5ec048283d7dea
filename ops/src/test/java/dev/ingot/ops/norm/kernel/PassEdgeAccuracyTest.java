package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.PassHarness.Config;
import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.ops.norm.testing.Reference;
import dev.ingot.ops.norm.testing.ThreadedParallel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Inputs at the edges of float32: spreads far from 1, values near the float maximum, subnormal planes, tiny eps,
 * and sums that cancel. Every output must be within {@link #TOLERANCE} normwise of the float64 reference (whose
 * sums are compensated; no input here takes a double product out of range), for both kernel sets, both layouts,
 * 1 and 2 threads, whole and chunked planes, saved and recomputed statistics; where the exact output overflows
 * float32 it must be the correctly signed infinity.
 */
class PassEdgeAccuracyTest {
    static final double TOLERANCE = 1e-6;

    /** Runs {@code check} on every configuration: kernel set x layout x (1 thread, 2 threads), plus chunked planes. */
    static void forEachConfig(Consumer<Config> check) {
        try (ThreadedParallel two = new ThreadedParallel(2, 1)) {
            List<Config> configs = new ArrayList<>();
            for (KernelSet k : new KernelSet[] {Kernels.scalarSet(), Kernels.vectorSet().orElseThrow()}) {
                for (boolean channelsLast : new boolean[] {false, true}) {
                    configs.add(new Config(channelsLast, 0, k, Parallel.SERIAL));
                    configs.add(new Config(channelsLast, 0, k, two));
                }
                configs.add(new Config(false, 1000, k, two));
            }
            for (Config cfg : configs) {
                check.accept(cfg);
            }
        }
    }

    /**
     * Asserts that {@code out} is within {@link #TOLERANCE} of {@code ref} normwise over the elements whose exact
     * value float32 holds (plus the smallest subnormal, the rounding that float itself cannot avoid there), and
     * equal to the signed infinity elsewhere. A NaN fails.
     */
    static void assertNormwise(String what, float[] out, double[] ref) {
        assertNormwise(what, out, ref, 0);
    }

    /**
     * As {@link #assertNormwise(String, float[], double[])}, relative to the larger of max|ref| and {@code scale}
     * (outputs that cancel below a millionth of their terms: see {@link #dxTermScale} and {@link #termScale}).
     */
    static void assertNormwise(String what, float[] out, double[] ref, double scale) {
        assertEquals(ref.length, out.length, what + ": length");
        double maxRef = scale, maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < out.length; i++) {
            float rounded = (float) ref[i];
            if (Float.isInfinite(rounded)) {
                assertEquals(rounded, out[i], what + "[" + i + "]: exact " + ref[i] + " overflows float32");
                continue;
            }
            assertTrue(Float.isFinite(out[i]), what + "[" + i + "] = " + out[i] + ", exact " + ref[i]);
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            double diff = Math.abs(out[i] - ref[i]);
            if (diff > maxDiff) {
                maxDiff = diff;
                worst = i;
            }
        }
        assertTrue(maxDiff <= TOLERANCE * maxRef + Float.MIN_VALUE, what + ": normwise error " + maxDiff / maxRef
                + " (worst at " + worst + ": " + (worst < 0 ? "" : out[worst] + " vs " + ref[worst]) + ")");
    }

    /** The reference outputs of a problem and the sizes of the terms of dx, dgamma and dbeta. */
    private record Expected(Problem problem, Reference.Forward forward, Reference.Backward backward, double dxTerms,
                            double dgammaTerms, double dbetaTerms) {
        static Expected of(Problem p) {
            Reference.Forward ref = p.referenceForward();
            return new Expected(p, ref, p.referenceBackward(), dxTermScale(p, ref), termScale(p, ref, true),
                    termScale(p, ref, false));
        }
    }

    /** The last problem's expected outputs: each problem is checked under every configuration in turn. */
    private static Expected last;

    /** Forward, and backward with saved and with recomputed statistics, in and out of place. */
    static void checkAll(Problem p, Config cfg) {
        String where = (cfg.channelsLast() ? "channels-last" : "NCHW") + ", unit " + cfg.unitLength() + ", "
                + cfg.kernels() + ", " + (cfg.parallel() == Parallel.SERIAL ? "1 thread" : "2 threads");
        Expected expected = last != null && last.problem() == p ? last : Expected.of(p);
        last = expected;
        Reference.Forward ref = expected.forward();
        PassHarness.Forward fwd = PassHarness.forward(p, cfg);
        assertNormwise("y (" + where + ")", fwd.y(), ref.y());
        assertNormwise("mean (" + where + ")", fwd.mean(), ref.mean());
        assertNormwise("invstd (" + where + ")", fwd.invstd(), ref.invstd());
        Reference.Backward refGrad = expected.backward();
        for (PassHarness.Forward saved : new PassHarness.Forward[] {fwd, null}) {
            String mode = where + (saved == null ? ", recomputed stats" : ", saved stats");
            PassHarness.Backward grad = PassHarness.backward(p, cfg, saved, true, true, false);
            assertNormwise("dx (" + mode + ")", grad.dx(), refGrad.dx(), 1e-6 * expected.dxTerms());
            assertNormwise("dgamma (" + mode + ")", grad.dgamma(), refGrad.dgamma(), 1e-6 * expected.dgammaTerms());
            assertNormwise("dbeta (" + mode + ")", grad.dbeta(), refGrad.dbeta(), 1e-6 * expected.dbetaTerms());
            PassHarness.Backward inPlace = PassHarness.backward(p, cfg, saved, true, true, true);
            assertArrayEquals(grad.dx(), inPlace.dx(), "in-place dx equals out-of-place dx (" + mode + ")");
        }
    }

    /**
     * The size of the terms of dgamma (sum over n of invstd * sum(dy * (x - mean))) or dbeta (sum of dy), largest
     * over the channels: sqrt(sum over n of invstd^2 sum(dy^2) var) and sqrt(sum(dy^2)), what such a sum is for dy
     * uncorrelated with x. Where dgamma or dbeta cancels below a millionth of it (dy in span{1, xhat} with the
     * variance far below eps, so xhat about 1e-8), a double sum's own rounding is that large: they are held to
     * 1e-12 of it, as dx is to 1e-12 of its terms.
     */
    static double termScale(Problem p, Reference.Forward ref, boolean dgamma) {
        double largest = 0;
        for (int ch = 0; ch < p.c(); ch++) {
            double sq = 0;
            for (int b = 0; b < p.n(); b++) {
                int plane = b * p.c() + ch;
                double sumDySq = 0, var = 0;
                for (int i = plane * p.m(); i < (plane + 1) * p.m(); i++) {
                    sumDySq += (double) p.dy()[i] * p.dy()[i];
                    double d = p.x()[i] - ref.mean()[plane];
                    var += d * d / p.m();
                }
                sq += dgamma ? sumDySq * var * ref.invstd()[plane] * ref.invstd()[plane] : sumDySq;
            }
            largest = Math.max(largest, Math.sqrt(sq));
        }
        return largest;
    }

    /**
     * The size of dx's terms, max over the elements of |gamma| invstd |dy - mean(dy)|: where dx cancels to a
     * millionth of it (planes of two elements with eps far below the variance, dy in span{1, xhat}), dx is held
     * to 1e-12 of it rather than to 1e-6 of itself, the double write's own rounding.
     */
    static double dxTermScale(Problem p, Reference.Forward ref) {
        double largest = 0;
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            double meanDy = 0;
            for (int i = plane * p.m(); i < (plane + 1) * p.m(); i++) {
                meanDy += p.dy()[i] / (double) p.m();
            }
            double g = p.gamma() == null ? 1 : Math.abs(p.gamma()[plane % p.c()]);
            for (int i = plane * p.m(); i < (plane + 1) * p.m(); i++) {
                largest = Math.max(largest, g * ref.invstd()[plane] * Math.abs(p.dy()[i] - meanDy));
            }
        }
        return largest;
    }

    static float[] gaussian(Random r, int count, double mean, double std) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = (float) (mean + std * r.nextGaussian());
        }
        return a;
    }

    /** Planes of N(mean, std^2) values, dy N(0, 1), gamma in [0.5, 1.5), beta in [-1, 1). */
    static Problem gaussianProblem(long seed, int n, int c, int m, double mean, double std, double eps) {
        Random r = new Random(seed);
        return new Problem(n, c, m, gaussian(r, n * c * m, mean, std), gaussian(r, n * c * m, 0, 1),
                Problem.uniform(r, c, 0.5, 1.5), Problem.uniform(r, c, -1, 1), eps);
    }

    // ---- 1. dx on planes with a spread far from 1 ----

    /** dx's coefficient of x - mean is about 1/std^2: it leaves float's range long before dx does. */
    @Test
    void dxOnLargePlanesWithAHugeSpread() {
        for (double std : new double[] {1e18, 1e21, 1e24, 1e30}) {
            Problem p = gaussianProblem(100, 1, 2, 4096, 0, std, 1e-5);
            forEachConfig(cfg -> checkAll(p, cfg));
        }
    }

    /** dy correlated with x: dx's coefficient of x - mean, about 1e40, overflows float. */
    @Test
    void dxOnLargePlanesWithATinySpreadAndTinyEps() {
        for (double mean : new double[] {0, 3e-19}) {
            Problem p = gaussianProblem(101, 1, 2, 4096, mean, 1e-20, 1e-45);
            float[] dy = p.dy().clone();
            for (int i = 0; i < dy.length; i++) {
                dy[i] += (float) (0.5 * (p.x()[i] - mean) / 1e-20);
            }
            Problem correlated = new Problem(p.n(), p.c(), p.m(), p.x(), dy, p.gamma(), p.beta(), p.eps());
            forEachConfig(cfg -> checkAll(correlated, cfg));
        }
    }

    /** Subnormal x: variance about 1e-85, eps 1e-90, so invstd (about 1e42) overflows float while y and dx do not. */
    @Test
    void subnormalPlanesWithTinyEps() {
        Random r = new Random(103);
        int n = 1, c = 2, m = 4096;
        float[] x = new float[n * c * m];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.MIN_VALUE * (r.nextInt(2001) - 1000);
        }
        Problem p = new Problem(n, c, m, x, gaussian(r, x.length, 0, 1e-12), Problem.uniform(r, c, 0.5, 1.5),
                Problem.uniform(r, c, -1, 1), 1e-90);
        forEachConfig(cfg -> checkAll(p, cfg));
    }

    // ---- 2. values near the float maximum ----

    @Test
    void valuesNear1e37WhoseFloatSumsOverflow() {
        Random r = new Random(200);
        Problem p = gaussianProblem(201, 2, 2, 4096, 0, 1, 1e-5);
        forEachConfig(cfg -> checkAll(p.withX(Problem.uniform(r, p.x().length, 0.9e37, 1.1e37)), cfg));
        forEachConfig(cfg -> checkAll(p.withX(Problem.uniform(r, p.x().length, -3.3e38, 3.3e38)), cfg));
    }

    /** Exact y is (1.732, -0.577 x 3): no intermediate may be formed in float. */
    @Test
    void aPlaneSpanningTheWholeFloatRange() {
        float big = 3.3e38f;
        Problem p = new Problem(1, 2, 4, new float[] {big, -big, -big, -big, 1, 2, 3, 4},
                new float[] {0.5f, -1, 0.25f, 2, 1, -1, 0.5f, 0}, new float[] {1.5f, 0.75f},
                new float[] {0.25f, -0.5f}, 1e-5);
        forEachConfig(cfg -> checkAll(p, cfg));
        Reference.Forward ref = p.referenceForward();
        assertEquals(Math.sqrt(3) * 1.5 + 0.25, ref.y()[0], 1e-12, "the reference's y");
    }

    /**
     * Constant planes with the smallest eps: invstd (about 4.5e161) and dx overflow float, y is beta; dx is the
     * signed infinity where dy differs from its mean and 0 where it equals it, never NaN.
     */
    @Test
    void constantPlanesWithTheSmallestEpsGiveSignedInfinities() {
        int m = 300;
        float[] x = new float[2 * m];
        java.util.Arrays.fill(x, 0, m, 7f);
        java.util.Arrays.fill(x, m, 2 * m, -1.5e38f);
        Random r = new Random(210);
        float[] dy = gaussian(r, 2 * m, 0, 1);
        dy[m] = dy[m + 1] = dy[m + 2] = 0;
        java.util.Arrays.fill(dy, m + 3, 2 * m, 0.5f);
        dy[m + 3] = 0.75f; // dy's mean is not a float here, so no dx is exactly 0
        Problem p = new Problem(1, 2, m, x, dy, new float[] {1, -2}, new float[] {0.5f, -0.5f}, Double.MIN_VALUE);
        forEachConfig(cfg -> checkAll(p, cfg));
    }

    // ---- 3. sums that cancel ----

    /** A ramp of 1e5 values around a mean of 1e-3: the mean is a thousandth of the terms summed. */
    @Test
    void meanOfARampAroundASmallMean() {
        int m = 100_000;
        float[] x = new float[2 * m];
        for (int i = 0; i < m; i++) {
            x[i] = (float) (1e-3 + (2.0 * i / (m - 1) - 1));
            x[m + i] = (float) (-2.5e-4 + 3 * (2.0 * i / (m - 1) - 1));
        }
        Random r = new Random(300);
        Problem p = new Problem(1, 2, m, x, gaussian(r, 2 * m, 0, 1), new float[] {1, 0.5f}, new float[] {0, 1}, 1e-5);
        forEachConfig(cfg -> checkAll(p, cfg));
    }

    /**
     * dy = alpha + beta * xhat + small noise: dx is only the noise's part, 1/420 down to 1/2e5 of dx's terms. On
     * planes of 100, 4096 and 1e5 elements.
     */
    @Test
    void dxWhenDyNearlyLiesInTheSpanOfOneAndXhat() {
        long seed = 310;
        for (int m : new int[] {100, 4096, 100_000}) {
            for (double noise : m > 10_000 ? new double[] {5e-6} : new double[] {3e-3, 1e-4, 5e-6}) {
                Problem base = gaussianProblem(seed++, 1, 2, m, 0.3, 2, 1e-5);
                Reference.Forward ref = base.referenceForward();
                Random r = new Random(seed++);
                float[] dy = new float[base.dy().length];
                for (int i = 0; i < dy.length; i++) {
                    int plane = i / m;
                    double xhat = (base.x()[i] - ref.mean()[plane]) * ref.invstd()[plane];
                    dy[i] = (float) (0.75 - 1.5 * plane + (1.25 + plane) * xhat + noise * r.nextGaussian());
                }
                Problem p = new Problem(1, 2, m, base.x(), dy, base.gamma(), base.beta(), base.eps());
                forEachConfig(cfg -> checkAll(p, cfg));
            }
        }
    }

    /**
     * dy uncorrelated with x on one channel: dgamma and dbeta are sums of random terms, about 1/sqrt(M) of their
     * terms' size and by chance much less. Float-lane sums were up to 7.9e-6 (dgamma) and 2.7e-6 (dbeta) off on
     * these planes of 3136 elements.
     */
    @Test
    void dgammaAndDbetaOfOneChannelWithUncorrelatedDy() {
        for (long seed = 360; seed < 372; seed++) {
            Problem p = gaussianProblem(seed, 1, 1, 3136, 0, 1, 1e-5);
            forEachConfig(cfg -> checkAll(p, cfg));
        }
    }

    /**
     * dy a ramp plus a small offset: a float lane adds terms alike within a block, whose rounding errors do not
     * cancel as random ones do; dbeta (the offset times M) was 3.7e-7 off with an offset of 1e-2 of the ramp.
     */
    @Test
    void dbetaOfARampDyAroundASmallOffset() {
        int m = 100_000;
        Random r = new Random(380);
        for (double offset : new double[] {1e-2, 2.5e-3, 1e-3}) {
            float[] dy = new float[m];
            for (int i = 0; i < m; i++) {
                dy[i] = (float) (offset + (2.0 * i / (m - 1) - 1));
            }
            Problem p = new Problem(1, 1, m, gaussian(r, m, 0, 1), dy, new float[] {1.25f}, new float[] {0}, 1e-5);
            forEachConfig(cfg -> checkAll(p, cfg));
        }
    }

    /** Planes of one and two elements, at magnitudes from 1e-30 to 1e30, many planes per task. */
    @Test
    void planesOfOneAndTwoElements() {
        for (int m : new int[] {1, 2}) {
            for (double std : new double[] {1e-30, 1, 1e30}) {
                Problem p = gaussianProblem(330 + m, 4, 300, m, 2 * std, std, 1e-5 * std * std);
                forEachConfig(cfg -> checkAll(p, cfg));
            }
        }
    }

    /** A plane of 2^20 elements (64 units) with its mean a tenth of its spread, NCHW (chunked as the op does). */
    @Test
    void aPlaneOfTwoToTheTwentyElements() {
        Problem p = gaussianProblem(340, 1, 1, 1 << 20, 0.1, 1, 1e-5);
        forEachConfig(cfg -> {
            if (!cfg.channelsLast() && cfg.unitLength() == 0) {
                checkAll(p, cfg);
            }
        });
    }

    /**
     * dy constant, or proportional to y (rounded to float): dx is 0 but for the rounding of dy, so its error is
     * measured against its terms: within 1e-7 of gamma * invstd * max|dy|.
     */
    @Test
    void dxIsNearlyZeroWhenDyIsConstantOrProportionalToY() {
        Problem base = gaussianProblem(350, 2, 2, 3000, 5, 2, 1e-5);
        Reference.Forward ref = base.referenceForward();
        for (boolean constant : new boolean[] {true, false}) {
            float[] dy = new float[base.dy().length];
            for (int i = 0; i < dy.length; i++) {
                dy[i] = constant ? 0.375f : (float) (-1.5 * ref.y()[i]);
            }
            Problem p = new Problem(base.n(), base.c(), base.m(), base.x(), dy, base.gamma(), base.beta(), base.eps());
            double[] exact = p.referenceBackward().dx();
            double terms = 0;
            for (int i = 0; i < dy.length; i++) {
                int plane = i / p.m();
                terms = Math.max(terms, p.gamma()[plane % p.c()] * ref.invstd()[plane] * Math.abs(dy[i]));
            }
            double scale = 0.1 * terms;
            forEachConfig(cfg -> {
                for (PassHarness.Forward saved : new PassHarness.Forward[] {PassHarness.forward(p, cfg), null}) {
                    float[] dx = PassHarness.backward(p, cfg, saved, false, false, false).dx();
                    assertNormwise("dx (" + (constant ? "constant dy, " : "dy proportional to y, ") + cfg.kernels()
                            + (saved == null ? ", recomputed)" : ", saved)"), dx, exact, scale);
                }
            });
        }
    }

    /**
     * The saved mean of ordinary N(0, 1) planes (about 1/64 of their terms here) is within 2.5e-7 of the largest
     * mean: the scalar kernels are about 3e-8 off (the float rounding), the vector ones about 1.8e-7 (their float
     * lanes), and 3.5e-7 before the shift kept few bits (x - shift lost the shift's low bits the same way on every
     * element).
     */
    @Test
    void savedMeanOfOrdinaryPlanes() {
        Problem p = gaussianProblem(320, 4, 16, 4096, 0, 1, 1e-5);
        double[] ref = p.referenceForward().mean();
        forEachConfig(cfg -> {
            float[] mean = PassHarness.forward(p, cfg).mean();
            double err = Reference.relativeError(mean, ref);
            assertTrue(err <= 2.5e-7, "mean error " + err + " (" + cfg.kernels() + ", channels-last "
                    + cfg.channelsLast() + ")");
        });
    }
}
