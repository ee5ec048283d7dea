package dev.ingot.runtime.parallel;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ParallelExecutorPropertiesTest {

    private static final ParallelExecutor ONE = new ParallelExecutor(1);
    private static final ParallelExecutor THREE = new ParallelExecutor(3);
    /** Helpers never wait for a next call: every call forks, exercising the fork path alone. */
    private static final ParallelExecutor TWO_WITHOUT_SPIN = new ParallelExecutor(2, 0);
    private static final List<ParallelExecutor> EXECUTORS = List.of(ONE, THREE, TWO_WITHOUT_SPIN);

    @AfterContainer
    static void closeExecutors() {
        ONE.close();
        THREE.close();
        TWO_WITHOUT_SPIN.close();
    }

    private static List<String> expectedRanges(int count, int grain) {
        List<String> ranges = new ArrayList<>();
        for (int from = 0; from < count; from += grain) {
            ranges.add(from + ".." + Math.min(count, from + grain));
        }
        return ranges;
    }

    @Property(tries = 150)
    void everyIndexOnceInTheFixedRanges(@ForAll @IntRange(min = 0, max = 5000) int count,
                                        @ForAll @IntRange(min = 1, max = 700) int grain,
                                        @ForAll @IntRange(min = 0, max = 2) int which) {
        ParallelExecutor executor = EXECUTORS.get(which);
        AtomicIntegerArray hits = new AtomicIntegerArray(count);
        ConcurrentLinkedQueue<String> ranges = new ConcurrentLinkedQueue<>();
        executor.parallelFor(count, grain, (from, to) -> {
            ranges.add(from + ".." + to);
            for (int i = from; i < to; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < count; i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
        List<String> seen = new ArrayList<>(ranges);
        seen.sort((a, b) -> Integer.compare(Integer.parseInt(a.split("\\.\\.")[0]),
                Integer.parseInt(b.split("\\.\\.")[0])));
        assertEquals(expectedRanges(count, grain), seen, "ranges depend on count and grain only");
    }

    @Property(tries = 60)
    void nestedCallsCoverEveryIndexOnce(@ForAll @IntRange(min = 1, max = 40) int outer,
                                        @ForAll @IntRange(min = 1, max = 7) int outerGrain,
                                        @ForAll @IntRange(min = 0, max = 300) int inner,
                                        @ForAll @IntRange(min = 1, max = 50) int innerGrain,
                                        @ForAll @IntRange(min = 0, max = 2) int which) {
        ParallelExecutor executor = EXECUTORS.get(which);
        AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner);
        executor.parallelFor(outer, outerGrain, (from, to) -> {
            for (int o = from; o < to; o++) {
                int row = o * inner;
                executor.parallelFor(inner, innerGrain, (a, b) -> {
                    for (int i = a; i < b; i++) {
                        hits.incrementAndGet(row + i);
                    }
                });
            }
        });
        for (int i = 0; i < outer * inner; i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
    }
}
