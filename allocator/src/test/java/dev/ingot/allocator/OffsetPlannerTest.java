package dev.ingot.allocator;

import dev.ingot.allocator.internal.OffsetPlanner;
import dev.ingot.allocator.internal.OffsetPlanner.Request;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OffsetPlannerTest {

    private static void assertValid(List<Request> requests, OffsetPlanner.Plan plan) {
        for (int i = 0; i < requests.size(); i++) {
            Request a = requests.get(i);
            assertEquals(0, plan.offset(i) % a.alignment());
            assertTrue(plan.offset(i) + a.size() <= plan.size());
            for (int j = i + 1; j < requests.size(); j++) {
                Request b = requests.get(j);
                boolean together = a.start() < b.end() && b.start() < a.end();
                boolean shareBytes = plan.offset(i) < plan.offset(j) + b.size()
                        && plan.offset(j) < plan.offset(i) + a.size();
                assertFalse(together && shareBytes, "requests " + i + " and " + j);
            }
        }
    }

    @Test
    void anEmptyPlanIsEmpty() {
        OffsetPlanner.Plan plan = OffsetPlanner.plan(List.of());
        assertEquals(0, plan.size());
        assertEquals(0, OffsetPlanner.lowerBound(List.of()));
    }

    @Test
    void theClassicThreeBufferCaseReusesTheFirstBuffer() {
        // a [0,2) 100, b [1,3) 50, c [2,4) 100: c can take a's place.
        List<Request> requests = List.of(new Request(128, 64, 0, 2), new Request(64, 64, 1, 3),
                new Request(128, 64, 2, 4));
        OffsetPlanner.Plan plan = OffsetPlanner.plan(requests);
        assertValid(requests, plan);
        assertEquals(192, OffsetPlanner.lowerBound(requests));
        assertEquals(192, plan.size());
        assertEquals(plan.offset(0), plan.offset(2));
        assertEquals(2, plan.shared());
    }

    @Test
    void requestsLivingForeverNeverShare() {
        List<Request> requests = List.of(new Request(64, 64, 0, Long.MAX_VALUE), new Request(64, 64, 5,
                Long.MAX_VALUE), new Request(64, 64, 1, 2), new Request(64, 64, 2, 5));
        OffsetPlanner.Plan plan = OffsetPlanner.plan(requests);
        assertValid(requests, plan);
        assertEquals(128, plan.size(), "the two short ones take turns beside the first; the late one reuses them");
        assertTrue(plan.offset(1) != plan.offset(0));
        assertEquals(1, OffsetPlanner.plan(List.of(new Request(64, 64, 0, Long.MAX_VALUE))).offsets().length);
    }

    @Test
    void badRequestsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Request(0, 64, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Request(64, 48, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Request(64, 64, 3, 3));
    }

    /** Pipeline-shaped lifetimes (each op's output lives a few ops): thousands of buffers, plan near the bound. */
    @Test
    void largePipelineShapedPlansAreValidAndTight() {
        Random random = new Random(7);
        List<Request> requests = new ArrayList<>();
        for (int op = 0; op < 3000; op++) {
            long size = 64L * (1 + random.nextInt(1 << random.nextInt(14)));
            requests.add(new Request(size, 64, op, op + 1 + random.nextInt(8)));
        }
        OffsetPlanner.Plan plan = OffsetPlanner.plan(requests);
        long lowerBound = OffsetPlanner.lowerBound(requests);
        assertTrue(plan.size() >= lowerBound);
        assertTrue(plan.size() <= 1.15 * lowerBound, plan.size() + " vs " + lowerBound);
        assertValidBySweep(requests, plan);
    }

    /** The quadratic check is too slow for thousands of buffers: compare each with those born before it dies. */
    private static void assertValidBySweep(List<Request> requests, OffsetPlanner.Plan plan) {
        for (int i = 0; i < requests.size(); i++) {
            Request a = requests.get(i);
            for (int j = i + 1; j < requests.size() && requests.get(j).start() < a.end(); j++) {
                Request b = requests.get(j);
                boolean shareBytes = plan.offset(i) < plan.offset(j) + b.size()
                        && plan.offset(j) < plan.offset(i) + a.size();
                assertFalse(shareBytes, "requests " + i + " and " + j + " are alive together");
            }
        }
    }
}
