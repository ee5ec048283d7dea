package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.kernel.PassEdgeAccuracyTest.assertNormwise;
import static dev.ingot.ops.norm.kernel.PassEdgeAccuracyTest.dxTermScale;
import static dev.ingot.ops.norm.kernel.PassEdgeAccuracyTest.termScale;

import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.PassHarness.Config;
import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.ops.norm.testing.Reference;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * Random shapes, magnitudes from 1e-38 to 1e37, offsets far from and near the spread, eps down to
 * {@code Double.MIN_VALUE}, and dy that nearly lies in span{1, xhat} or is uncorrelated with x: the vector and the
 * scalar kernels are each within 1e-6 normwise of the float64 reference, and within 1e-6 of each other, on every
 * output (y, mean, invstd, dx, dgamma, dbeta; dx, dgamma and dbeta where they cancel below a millionth of their
 * terms, within 1e-12 of those).
 */
class PassEdgePropertiesTest {

    @Property(tries = 80)
    void vectorAndScalarKernelsMatchTheFloat64Reference(
            @ForAll @IntRange(min = 1, max = 2) int n, @ForAll @IntRange(min = 1, max = 3) int c,
            @ForAll @IntRange(min = 1, max = 3000) int m, @ForAll long seed,
            @ForAll @IntRange(min = -38, max = 37) int log10Spread,
            @ForAll @IntRange(min = 0, max = 3) int offsetKind, @ForAll @IntRange(min = 0, max = 2) int epsKind,
            @ForAll boolean cancellingDy, @ForAll @DoubleRange(min = -7, max = 0) double log10Noise,
            @ForAll boolean channelsLast, @ForAll @IntRange(min = 0, max = 1500) int unit) {
        check(n, c, m, seed, log10Spread, offsetKind, epsKind, cancellingDy, log10Noise, channelsLast, unit);
    }

    /**
     * A sample the property found: dy = 0.5 + xhat + noise with xhat about 3e-3 (spread 1e-5 against eps 1e-5), so
     * dx is the noise, a few percent of dy itself; float-lane sums good to 1e-7 of dy put dx 1.07e-6 off.
     */
    @Example
    void aSmallPlaneWhoseDyIsMostlyACommonOffset() {
        check(1, 1, 18, 0, -5, 0, 0, true, -1.56, false, 0);
    }

    private static void check(int n, int c, int m, long seed, int log10Spread, int offsetKind, int epsKind,
                              boolean cancellingDy, double log10Noise, boolean channelsLast, int unit) {
        Random r = new Random(seed);
        double spread = Math.pow(10, log10Spread);
        double[] offsets = {0, 3 * spread, -1e3 * spread, 0.5 * spread};
        double offset = offsets[offsetKind];
        // tiny eps only where 1/sqrt(var) keeps dx far from float's maximum
        double eps = log10Spread < -28 ? 1e-5 : new double[] {1e-5, 1e-45, Double.MIN_VALUE}[epsKind];
        float[] x = new float[n * c * m];
        for (int i = 0; i < x.length; i++) {
            double v = offset + spread * r.nextGaussian();
            x[i] = (float) Math.max(-3.3e38, Math.min(3.3e38, v));
        }
        float[] dy = new float[x.length];
        Problem plain = new Problem(n, c, m, x, dy, Problem.uniform(r, c, 0.5, 1.5), Problem.uniform(r, c, -1, 1), eps);
        Reference.Forward stats = plain.referenceForward();
        double noise = Math.pow(10, log10Noise);
        for (int i = 0; i < dy.length; i++) {
            int plane = i / m;
            double xhat = (x[i] - stats.mean()[plane]) * stats.invstd()[plane];
            dy[i] = (float) (cancellingDy ? 0.5 - plane + (1 + 0.25 * plane) * xhat + noise * r.nextGaussian()
                    : r.nextGaussian());
        }
        Problem p = plain;
        Reference.Forward ref = p.referenceForward();
        Reference.Backward refGrad = p.referenceBackward();
        double dxFloor = 1e-6 * dxTermScale(p, ref);
        double dgammaFloor = 1e-6 * termScale(p, ref, true);
        double dbetaFloor = 1e-6 * termScale(p, ref, false);
        PassHarness.Forward[] fwd = new PassHarness.Forward[2];
        PassHarness.Backward[] grad = new PassHarness.Backward[2];
        KernelSet[] sets = {Kernels.scalarSet(), Kernels.vectorSet().orElseThrow()};
        for (int k = 0; k < 2; k++) {
            Config cfg = new Config(channelsLast, unit, sets[k], Parallel.SERIAL);
            String where = sets[k] + (channelsLast ? ", channels-last" : ", NCHW") + ", unit " + unit;
            fwd[k] = PassHarness.forward(p, cfg);
            assertNormwise("y (" + where + ")", fwd[k].y(), ref.y());
            assertNormwise("mean (" + where + ")", fwd[k].mean(), ref.mean());
            assertNormwise("invstd (" + where + ")", fwd[k].invstd(), ref.invstd());
            grad[k] = PassHarness.backward(p, cfg, fwd[k], true, true, false);
            assertNormwise("dx (" + where + ")", grad[k].dx(), refGrad.dx(), dxFloor);
            assertNormwise("dgamma (" + where + ")", grad[k].dgamma(), refGrad.dgamma(), dgammaFloor);
            assertNormwise("dbeta (" + where + ")", grad[k].dbeta(), refGrad.dbeta(), dbetaFloor);
            PassHarness.Backward recomputed = PassHarness.backward(p, cfg, null, false, false, false);
            assertNormwise("dx, recomputed stats (" + where + ")", recomputed.dx(), refGrad.dx(), dxFloor);
        }
        assertNormwise("vector y vs scalar y", fwd[1].y(), Reference.widen(fwd[0].y()));
        assertNormwise("vector mean vs scalar mean", fwd[1].mean(), Reference.widen(fwd[0].mean()));
        assertNormwise("vector invstd vs scalar invstd", fwd[1].invstd(), Reference.widen(fwd[0].invstd()));
        assertNormwise("vector dx vs scalar dx", grad[1].dx(), Reference.widen(grad[0].dx()), dxFloor);
        assertNormwise("vector dgamma vs scalar dgamma", grad[1].dgamma(), Reference.widen(grad[0].dgamma()),
                dgammaFloor);
        assertNormwise("vector dbeta vs scalar dbeta", grad[1].dbeta(), Reference.widen(grad[0].dbeta()), dbetaFloor);
    }
}
