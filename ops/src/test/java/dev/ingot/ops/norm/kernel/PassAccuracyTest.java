package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.testing.Checks.assertWithin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.PassHarness.Config;
import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.ops.norm.testing.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forward and backward passes against the float64 reference, for both layouts, both kernel sets, whole-plane and
 * chunked units, saved and recomputed statistics, on ordinary and on hard inputs. Bound: normwise relative error
 * at most 1e-5 for every output.
 */
class PassAccuracyTest {
    static Stream<Config> configs() {
        List<Config> configs = new ArrayList<>();
        for (boolean channelsLast : new boolean[] {false, true}) {
            for (KernelSet k : new KernelSet[] {Kernels.scalarSet(), Kernels.vectorSet().orElseThrow()}) {
                configs.add(new Config(channelsLast, 0, k, Parallel.SERIAL));
                configs.add(new Config(channelsLast, 7, k, Parallel.SERIAL));
            }
        }
        return configs.stream();
    }

    /** Checks forward and both backward modes (saved, recomputed) of {@code p} against the reference. */
    static void checkAll(Problem p, Config cfg) {
        String where = cfg.channelsLast() ? "channels-last" : "NCHW";
        where += ", unit " + cfg.unitLength() + ", " + cfg.kernels();
        Reference.Forward ref = p.referenceForward();
        PassHarness.Forward fwd = PassHarness.forward(p, cfg);
        assertWithin("y (" + where + ")", fwd.y(), ref.y());
        assertWithin("mean (" + where + ")", fwd.mean(), ref.mean());
        assertWithin("invstd (" + where + ")", fwd.invstd(), ref.invstd());

        Reference.Backward refGrad = p.referenceBackward();
        boolean dgamma = p.gamma() != null;
        boolean dbeta = p.beta() != null;
        for (PassHarness.Forward saved : new PassHarness.Forward[] {fwd, null}) {
            String mode = where + (saved == null ? ", recomputed stats" : ", saved stats");
            PassHarness.Backward grad = PassHarness.backward(p, cfg, saved, dgamma, dbeta, false);
            assertWithin("dx (" + mode + ")", grad.dx(), refGrad.dx());
            if (dgamma) {
                assertWithin("dgamma (" + mode + ")", grad.dgamma(), refGrad.dgamma());
            }
            if (dbeta) {
                assertWithin("dbeta (" + mode + ")", grad.dbeta(), refGrad.dbeta());
            }
            PassHarness.Backward inPlace = PassHarness.backward(p, cfg, saved, dgamma, dbeta, true);
            assertArrayEquals(grad.dx(), inPlace.dx(), "in-place dx equals out-of-place dx (" + mode + ")");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void ordinaryShapesWithAndWithoutAffineParameters(Config cfg) {
        int[][] shapes = {{2, 3, 17}, {1, 1, 5}, {3, 5, 64}, {2, 4, 35}, {1, 8, 120}};
        long seed = 10;
        for (int[] s : shapes) {
            for (int affine = 0; affine < 4; affine++) {
                checkAll(Problem.random(seed++, s[0], s[1], s[2], (affine & 1) != 0, (affine & 2) != 0, 1e-5), cfg);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void meanFarAboveTheSpread(Config cfg) {
        Problem p = Problem.random(20, 2, 3, 300, true, true, 1e-5);
        Random r = new Random(21);
        checkAll(p.withX(Problem.uniform(r, p.x().length, 1000 - 0.01, 1000 + 0.01)), cfg);
    }

    /**
     * The forward centres a plane first on the mean of its first 64 elements and sums it again, centred on its mean,
     * when that guess was far off. The second plane is 1000 but for its first 64 elements: centred on them, every
     * square rounds the same way and the variance is the small difference of two large sums, less accurate than
     * the bound below; the third starts a little low, still close enough for one pass.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void planesWhoseFirstElementsAreNotTypical(Config cfg) {
        int m = 16_384;
        Problem p = Problem.random(25, 1, 3, m, true, true, 1e-5);
        Random r = new Random(26);
        float[] x = Problem.uniform(r, p.x().length, 999, 1001);
        java.util.Arrays.fill(x, m, 2 * m, 1000f);
        for (int i = 0; i < 64; i++) {
            x[m + i] = 1001.1f;
            x[2 * m + i] -= 0.3f;
        }
        Problem skewed = p.withX(x);
        checkAll(skewed, cfg);
        Reference.Forward ref = skewed.referenceForward();
        PassHarness.Forward fwd = PassHarness.forward(skewed, cfg);
        for (int i = 0; i < 3; i++) {
            assertEquals(ref.mean()[i], fwd.mean()[i], 1e-6 * Math.abs(ref.mean()[i]), "mean of plane " + i);
            assertEquals(ref.invstd()[i], fwd.invstd()[i], 1e-6 * ref.invstd()[i], "invstd of plane " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void constantPlanesWithTinyEpsGiveBetaAndAFiniteGradient(Config cfg) {
        Problem p = Problem.random(30, 2, 3, 50, true, true, 1e-12);
        float[] x = new float[p.x().length];
        for (int plane = 0; plane < p.n() * p.c(); plane++) {
            java.util.Arrays.fill(x, plane * p.m(), (plane + 1) * p.m(), 1000f + 37.5f * plane);
        }
        Problem constant = p.withX(x);
        checkAll(constant, cfg);
        float[] y = PassHarness.forward(constant, cfg).y();
        for (int i = 0; i < y.length; i++) {
            assertEquals(constant.beta()[(i / p.m()) % p.c()], y[i], "y = beta exactly on a constant plane");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void valuesNear1e17WhoseSquaresOverflowFloat32(Config cfg) {
        Problem p = Problem.random(40, 2, 2, 33, true, true, 1e-5);
        Random r = new Random(41);
        checkAll(p.withX(Problem.uniform(r, p.x().length, 0.9e17, 1.1e17)), cfg);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void planesOfOneElementGiveBetaAndZeroGradient(Config cfg) {
        Problem p = Problem.random(50, 3, 4, 1, true, true, 1e-5);
        checkAll(p, cfg);
        PassHarness.Forward fwd = PassHarness.forward(p, cfg);
        PassHarness.Backward grad = PassHarness.backward(p, cfg, fwd, true, true, false);
        for (int i = 0; i < p.x().length; i++) {
            assertEquals(p.beta()[i % p.c()], fwd.y()[i], "y = beta");
            assertEquals(0f, grad.dx()[i], 0f, "dx = 0");
            assertEquals(p.x()[i], fwd.mean()[i], "mean = x");
            assertEquals((float) (1 / Math.sqrt(1e-5)), fwd.invstd()[i], "invstd = 1/sqrt(eps)");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void aSavedInvstdThatIsNotTheRoundedExactOneIsUsedAsGiven(Config cfg) {
        Problem p = Problem.random(70, 2, 3, 19, true, true, 1e-5);
        PassHarness.Forward fwd = PassHarness.forward(p, cfg);
        float[] given = fwd.invstd().clone();
        for (int i = 0; i < given.length; i++) {
            given[i] *= 1.5f + 0.1f * i;
        }
        PassHarness.Forward saved = new PassHarness.Forward(fwd.y(), fwd.mean(), given);
        PassHarness.Backward grad = PassHarness.backward(p, cfg, saved, true, true, false);
        Reference.Backward ref = Reference.backward(Reference.widen(p.x()), Reference.widen(p.dy()), p.n(), p.c(),
                p.m(), Reference.widen(p.gamma()), p.eps(), Reference.widen(given));
        assertWithin("dx with a given invstd", grad.dx(), ref.dx());
        assertWithin("dgamma with a given invstd", grad.dgamma(), ref.dgamma());
        assertWithin("dbeta with a given invstd", grad.dbeta(), ref.dbeta());
    }

    /**
     * dy nearly proportional to x on one plane: dx keeps a tiny part of its two terms there (written in double);
     * the other planes of the same problem (plain random dy) are written in float and must stay within the bound.
     */
    @ParameterizedTest
    @MethodSource("configs")
    void dxThatCancelsOnLargePlanesStaysAccurate(Config cfg) {
        Problem p = Problem.random(80, 2, 2, 3000, true, true, 1e-5);
        float[] dy = p.dy().clone();
        Random r = new Random(81);
        for (int i = 0; i < p.m(); i++) { // plane 0 only: dy = 0.7 x + tiny noise
            dy[i] = (float) (0.7 * p.x()[i] + 1e-4 * r.nextGaussian());
        }
        Problem cancelling = new Problem(p.n(), p.c(), p.m(), p.x(), dy, p.gamma(), p.beta(), p.eps());
        checkAll(cancelling, cfg);
    }

    @org.junit.jupiter.api.Test
    void largePlanesSplitIntoChunksStayAccurate() {
        // 131 075 elements per plane: several default-size units, an uneven last one, mean far above the spread.
        Problem p = Problem.random(60, 1, 2, 131_075, true, true, 1e-5);
        Random r = new Random(61);
        Problem offset = p.withX(Problem.uniform(r, p.x().length, 1000 - 0.01, 1000 + 0.01));
        for (KernelSet k : new KernelSet[] {Kernels.scalarSet(), Kernels.vectorSet().orElseThrow()}) {
            for (boolean channelsLast : new boolean[] {false, true}) {
                Config cfg = new Config(channelsLast, 0, k, Parallel.SERIAL);
                assertTrue(cfg.channelsLast() || NormGeometry.of(1, 2, p.m(), false,
                        NormGeometry.DEFAULT_CHUNK_ELEMENTS).unitsPerGroup() > 1, "the plane spans several units");
                checkAll(p, cfg);
                checkAll(offset, cfg);
            }
        }
    }
}
