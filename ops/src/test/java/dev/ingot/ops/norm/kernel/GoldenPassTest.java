package dev.ingot.ops.norm.kernel;

import static dev.ingot.ops.norm.testing.Checks.assertWithin;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.ingot.ops.norm.testing.GoldenCase;
import dev.ingot.ops.norm.testing.PassHarness;
import dev.ingot.ops.norm.testing.PassHarness.Config;
import dev.ingot.ops.norm.testing.Problem;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every golden case (discovered from the resources) through the passes, every layout and kernel set. */
class GoldenPassTest {

    @TestFactory
    List<DynamicTest> everyGoldenCase() throws Exception {
        List<GoldenCase> cases = GoldenCase.all();
        assertFalse(cases.isEmpty(), "golden cases found");
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCase gc : cases) {
            for (Config cfg : PassAccuracyTest.configs().toList()) {
                tests.add(DynamicTest.dynamicTest(gc.name() + " " + cfg, () -> check(gc, cfg)));
            }
        }
        return tests;
    }

    private static void check(GoldenCase gc, Config cfg) {
        Problem p = gc.problem();
        PassHarness.Forward fwd = PassHarness.forward(p, cfg);
        assertWithin(gc.name() + " y", fwd.y(), gc.y());
        assertWithin(gc.name() + " mean", fwd.mean(), gc.mean());
        assertWithin(gc.name() + " invstd", fwd.invstd(), gc.invstd());
        for (PassHarness.Forward saved : new PassHarness.Forward[] {fwd, null}) {
            String mode = gc.name() + (saved == null ? " (recomputed)" : " (saved)");
            PassHarness.Backward grad = PassHarness.backward(p, cfg, saved, gc.dgamma() != null,
                    gc.dbeta() != null, false);
            assertWithin(mode + " dx", grad.dx(), gc.dx());
            if (gc.dgamma() != null) {
                assertWithin(mode + " dgamma", grad.dgamma(), gc.dgamma());
            }
            if (gc.dbeta() != null) {
                assertWithin(mode + " dbeta", grad.dbeta(), gc.dbeta());
            }
        }
    }
}
