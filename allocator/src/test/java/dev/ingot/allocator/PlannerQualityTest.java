package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quality of the deferred planner on random lifetime traces. The measured distribution is printed to the test's
 * output ({@code target/surefire-reports/dev.ingot.allocator.PlannerQualityTest-output.txt}).
 */
class PlannerQualityTest {
    /**
     * Measures plannedSize / lowerBound over 1000 random traces of up to 200 chunks and prints the distribution;
     * fails when any trace passes the quality bar.
     */
    @Test
    void ratioDistributionOverAThousandTraces() {
        Random random = new Random(20260425);
        double[] ratios = new double[1000];
        try (DeferBufferAllocator planner = new DeferBufferAllocator()) {
            for (int t = 0; t < ratios.length; t++) {
                planner.reset();
                LifetimeTrace.random(random, 200).replay(planner);
                ratios[t] = (double) planner.compute() / planner.lowerBound();
            }
            planner.reset(); // chunks never freed are meant to live to the end: not a leak here
        }
        Arrays.sort(ratios);
        String summary = String.format("plannedSize/lowerBound over %d traces: min %.4f, median %.4f, p90 %.4f, "
                        + "p99 %.4f, max %.4f, exact (ratio 1) %d", ratios.length, ratios[0], ratios[499],
                ratios[899], ratios[989], ratios[999], Arrays.stream(ratios).filter(r -> r == 1.0).count());
        System.out.println(summary);
        assertTrue(ratios[0] >= 1.0, summary);
        assertTrue(ratios[ratios.length - 1] <= DeferPlannerPropertyTest.MAX_RATIO, summary);
    }
}
