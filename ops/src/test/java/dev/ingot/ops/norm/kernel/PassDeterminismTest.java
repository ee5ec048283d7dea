package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.PassHarness.Config;
import dev.ingot.ops.norm.testing.Problem;
import dev.ingot.ops.norm.testing.ThreadedParallel;
import org.junit.jupiter.api.Test;

/** Outputs are bitwise identical for 1, 2, 3 and 8 threads, any split of the work and any wave size. */
class PassDeterminismTest {

    @Test
    void bitwiseIdenticalForAnyThreadCountAndSplit() {
        Problem[] problems = {
            Problem.random(1, 3, 4, 37, true, true, 1e-5),      // several planes per task
            Problem.random(2, 2, 3, 20_000, true, true, 1e-5),  // planes spanning several default units
        };
        for (Problem p : problems) {
            for (KernelSet k : new KernelSet[] {Kernels.scalarSet(), Kernels.vectorSet().orElseThrow()}) {
                for (boolean channelsLast : new boolean[] {false, true}) {
                    for (long unit : new long[] {0, 5}) {
                        check(p, new Config(channelsLast, unit, k, Parallel.SERIAL), k, channelsLast, unit);
                    }
                }
            }
        }
    }

    /** Waves of one group, of a few groups, and as big as this machine's cache makes them. */
    private static final CacheSizes[] CACHES = {new CacheSizes(1), new CacheSizes(100_000), CacheSizes.MACHINE};

    private static void check(Problem p, Config serial, KernelSet k, boolean channelsLast, long unit) {
        PassHarness.Forward fwd = PassHarness.forward(p, serial);
        PassHarness.Backward saved = PassHarness.backward(p, serial, fwd, true, true, false);
        PassHarness.Backward recomputed = PassHarness.backward(p, serial, null, true, true, false);
        for (int threads : new int[] {1, 2, 3, 8}) {
            for (int piece : new int[] {1, 3, 64}) {
                CacheSizes caches = CACHES[(threads + piece) % CACHES.length];
                try (ThreadedParallel parallel = new ThreadedParallel(threads, piece)) {
                    Config cfg = new Config(channelsLast, unit, k, parallel, caches);
                    String what = threads + " threads, pieces of " + piece + ", " + caches + ", " + cfg;
                    PassHarness.Forward f = PassHarness.forward(p, cfg);
                    assertArrayEquals(fwd.y(), f.y(), "y, " + what);
                    assertArrayEquals(fwd.mean(), f.mean(), "mean, " + what);
                    assertArrayEquals(fwd.invstd(), f.invstd(), "invstd, " + what);
                    for (PassHarness.Forward stats : new PassHarness.Forward[] {fwd, null}) {
                        PassHarness.Backward expected = stats == null ? recomputed : saved;
                        PassHarness.Backward b = PassHarness.backward(p, cfg, stats, true, true, false);
                        assertArrayEquals(expected.dx(), b.dx(), "dx, " + what);
                        assertArrayEquals(expected.dgamma(), b.dgamma(), "dgamma, " + what);
                        assertArrayEquals(expected.dbeta(), b.dbeta(), "dbeta, " + what);
                    }
                }
            }
        }
    }
}
