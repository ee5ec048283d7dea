package dev.ingot.allocator.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Places buffers with known lifetimes at offsets in one block so that buffers alive at the same time never
 * overlap, keeping the block small.
 *
 * <p>Heuristic: greedy by size (Pisarchyk and Lee 2020, as in TFLite's arena planner). Buffers are taken largest
 * first; each goes into the smallest gap, between buffers already placed whose lifetimes overlap its own, that holds
 * it, or after the last of them. Ties and near-ties decide a lot, so the planner runs the greedy under a few
 * orders (size then longer lifetime, size then earlier start, size x lifetime, start time) and keeps the smallest
 * block. Cost O(k n^2) for n buffers and k orders, paid once per plan.
 */
public final class OffsetPlanner {

    /**
     * One buffer to place.
     *
     * @param size      bytes the buffer occupies, &gt; 0
     * @param alignment required alignment of its offset, a power of two
     * @param start     first logical time it is alive
     * @param end       first logical time it is dead again ({@code end > start}); {@link Long#MAX_VALUE} for never
     */
    public record Request(long size, long alignment, long start, long end) {
        public Request {
            if (size <= 0 || alignment <= 0 || Long.bitCount(alignment) != 1 || end <= start) {
                throw new IllegalArgumentException("request: expected size > 0, power-of-two alignment and end > "
                        + "start, got size " + size + ", alignment " + alignment + ", [" + start + ", " + end + ")");
            }
        }

        boolean overlapsInTime(Request other) {
            return start < other.end && other.start < end;
        }
    }

    /**
     * A placement.
     *
     * @param offsets the offset of each request, in request order
     * @param size    bytes the block needs
     * @param shared  number of requests whose bytes overlap those of another (time-disjoint) request
     */
    public record Plan(long[] offsets, long size, int shared) {
        public Plan {
            offsets = offsets.clone();
        }

        public long offset(int index) {
            return offsets[index];
        }
    }

    private OffsetPlanner() {
    }

    /** The largest total size of requests alive at one moment: no placement can use less. */
    public static long lowerBound(List<Request> requests) {
        int n = requests.size();
        long[][] events = new long[2 * n][];
        for (int i = 0; i < n; i++) {
            Request r = requests.get(i);
            events[2 * i] = new long[] {r.start(), r.size()};
            events[2 * i + 1] = new long[] {r.end(), -r.size()};
        }
        // At equal times, deaths (negative) come before births: lifetimes are half-open.
        Arrays.sort(events, Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        long alive = 0;
        long peak = 0;
        for (long[] event : events) {
            alive += event[1];
            peak = Math.max(peak, alive);
        }
        return peak;
    }

    /** Places every request; an empty list gives an empty plan of size 0. */
    public static Plan plan(List<Request> requests) {
        long[] best = null;
        long bestSize = Long.MAX_VALUE;
        for (Comparator<Integer> order : orders(requests)) {
            long[] offsets = greedy(requests, order);
            long size = extent(requests, offsets);
            if (size < bestSize) {
                best = offsets;
                bestSize = size;
            }
        }
        if (best == null) {
            return new Plan(new long[0], 0, 0);
        }
        return new Plan(best, bestSize, countShared(requests, best));
    }

    private static List<Comparator<Integer>> orders(List<Request> requests) {
        long horizon = 1;
        for (Request r : requests) {
            horizon = Math.max(horizon, Math.max(r.start(), r.end() == Long.MAX_VALUE ? r.start() : r.end()) + 1);
        }
        long lastTime = horizon;
        Comparator<Integer> bySizeDesc = Comparator.comparingLong(i -> -requests.get(i).size());
        Comparator<Integer> byLifetimeDesc = Comparator.comparingLong(i -> -lifetime(requests.get(i), lastTime));
        Comparator<Integer> byStart = Comparator.comparingLong(i -> requests.get(i).start());
        Comparator<Integer> byArea = Comparator.comparingDouble(
                i -> -(double) requests.get(i).size() * lifetime(requests.get(i), lastTime));
        return List.of(
                bySizeDesc.thenComparing(byLifetimeDesc).thenComparing(byStart),
                bySizeDesc.thenComparing(byStart),
                byArea.thenComparing(bySizeDesc).thenComparing(byStart),
                byStart.thenComparing(bySizeDesc));
    }

    private static long lifetime(Request r, long horizon) {
        return Math.min(r.end(), horizon) - r.start();
    }

    /** Greedy best-gap placement in the given order; returns offsets in request order. */
    private static long[] greedy(List<Request> requests, Comparator<Integer> order) {
        int n = requests.size();
        Integer[] sequence = new Integer[n];
        for (int i = 0; i < n; i++) {
            sequence[i] = i;
        }
        Arrays.sort(sequence, order);
        long[] offsets = new long[n];
        List<Integer> placedByOffset = new ArrayList<>(n);
        for (int index : sequence) {
            Request request = requests.get(index);
            long offset = bestGap(requests, offsets, placedByOffset, request);
            offsets[index] = offset;
            insertByOffset(placedByOffset, offsets, index);
        }
        return offsets;
    }

    /** The start of the smallest gap that holds {@code request}, or the first free offset after its neighbours. */
    private static long bestGap(List<Request> requests, long[] offsets, List<Integer> placedByOffset,
                                Request request) {
        long bestOffset = -1;
        long bestGapSize = Long.MAX_VALUE;
        long frontier = 0;
        for (int placed : placedByOffset) {
            Request other = requests.get(placed);
            if (!other.overlapsInTime(request)) {
                continue;
            }
            long candidate = alignUp(frontier, request.alignment());
            long gap = offsets[placed] - frontier;
            if (candidate + request.size() <= offsets[placed] && gap < bestGapSize) {
                bestOffset = candidate;
                bestGapSize = gap;
            }
            frontier = Math.max(frontier, offsets[placed] + other.size());
        }
        return bestOffset >= 0 ? bestOffset : alignUp(frontier, request.alignment());
    }

    private static void insertByOffset(List<Integer> placedByOffset, long[] offsets, int index) {
        int low = 0;
        int high = placedByOffset.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (offsets[placedByOffset.get(mid)] <= offsets[index]) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        placedByOffset.add(low, index);
    }

    private static long extent(List<Request> requests, long[] offsets) {
        long size = 0;
        for (int i = 0; i < offsets.length; i++) {
            size = Math.max(size, offsets[i] + requests.get(i).size());
        }
        return size;
    }

    private static int countShared(List<Request> requests, long[] offsets) {
        int shared = 0;
        for (int i = 0; i < offsets.length; i++) {
            for (int j = 0; j < offsets.length; j++) {
                if (i != j && offsets[i] < offsets[j] + requests.get(j).size()
                        && offsets[j] < offsets[i] + requests.get(i).size()) {
                    shared++;
                    break;
                }
            }
        }
        return shared;
    }

    private static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
