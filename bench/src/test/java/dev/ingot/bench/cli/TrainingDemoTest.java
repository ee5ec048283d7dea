package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.runtime.MemoryMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingDemoTest {

    @Test
    void trainsTheLayerAndReportsEverything() {
        StringWriter text = new StringWriter();
        TrainingDemo.Result r = new TrainingDemo(new PrintWriter(text), 120, 2, new long[]{2, 8, 16, 16}).run();
        String out = text.toString();

        assertTrue(r.lossReduction() >= 10, () -> "loss fell only " + r.lossReduction() + "x\n" + out);
        // gamma and beta reach the style's statistics: the training did the right thing, not just any descent
        assertTrue(r.gammaError() < 0.05 && r.betaError() < 0.05, out);
        assertTrue(r.gradientCheck().passed(), out);
        assertTrue(r.gradientCheck().rulesChecked().containsAll(List.of("InstanceNorm", "MseLoss")));

        assertEquals(MemoryMode.DEFERRED, r.deferredPlan().mode());
        assertEquals(MemoryMode.EAGER, r.eagerPlan().mode());
        for (var plan : List.of(r.deferredPlan(), r.eagerPlan())) {
            // memory is reused: by the planner, and by dx written over dy
            assertTrue(plan.peakDynamicBytes() < plan.totalDynamicBytes() + plan.overwrittenBytes(), plan::toString);
            assertEquals(1, plan.overwritingOps(), plan::toString);
            assertTrue(plan.peakDynamicBytes() >= plan.lowerBoundBytes(), plan::toString);
        }
        assertTrue(r.dynamicAllocator().reuses() > 0, r.dynamicAllocator()::toString);
        // one step is a pipeline run with no per-step objects; the bound leaves room for a rare one-off event of the
        // JVM (a few KiB once in a run) while per-step garbage (copies, formatting, lists) would cost far more.
        // The exact zero is asserted by TrainerTest in the ops module, and measured by PipelineBench.
        assertTrue(r.heapBytesPerStep() < 512, () -> r.heapBytesPerStep() + " heap bytes per step");

        List<String> progress = out.lines().filter(l -> l.trim().startsWith("step")).toList();
        assertEquals(11, progress.size(), out); // step 1, then every 12th step up to the last
        assertTrue(progress.getFirst().contains("steps/s"), out);
        assertTrue(out.contains("Gradient check") && out.contains("passed"), out);
        assertTrue(out.contains("deferred") && out.contains("eager") && out.contains("naive sum"), out);
        assertTrue(out.contains("reuse rate") && out.contains("Java heap allocated per step"), out);
    }

    @Test
    void aSingleStepReportsWithoutRates() {
        StringWriter text = new StringWriter();
        TrainingDemo.Result r = new TrainingDemo(new PrintWriter(text), 1, 1, new long[]{1, 2, 8}).run();
        assertEquals(1, r.steps());
        assertEquals(r.firstLoss(), r.lastLoss());
        assertTrue(Double.isNaN(r.stepsPerSecond()) && Double.isNaN(r.heapBytesPerStep()));
        assertTrue(r.gradientCheck().passed(), text::toString);
    }

    @Test
    void refusesBadArguments() {
        PrintWriter out = new PrintWriter(new StringWriter());
        assertThrows(IllegalArgumentException.class, () -> new TrainingDemo(out, 0, 1, new long[]{1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> new TrainingDemo(out, 10, 0, new long[]{1, 2, 3}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingDemo(out, 10, 1, new long[]{4, 8}));
        assertTrue(e.getMessage().startsWith("shape:"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainingDemo(out, 10, 1, new long[]{1, 0, 3}));
    }
}
