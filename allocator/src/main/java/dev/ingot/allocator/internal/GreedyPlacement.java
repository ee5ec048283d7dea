package dev.ingot.allocator.internal;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * One pass of the greedy placement: requests are placed in a given order, each at the start of a gap left by the
 * already placed requests whose lifetimes overlap its own (the smallest gap that holds it, or the lowest), else
 * after all of them. Only lifetime neighbours are looked at, so a pass costs O(E log d) for E overlapping pairs and
 * d the largest number of neighbours, not O(n^2).
 */
final class GreedyPlacement {
    /** One pass: the order used, the gap rule, the offsets (by request index) and the block size. */
    record Run(int[] sequence, boolean bestFit, long[] offsets, long size) {
    }

    private static final int INSERTION_SORT_LIMIT = 24;

    private final long[] sizes;
    private final long[] alignments;
    private final int[][] neighbours;
    /** Offsets and indices are packed as offset * n + index for a primitive sort, when that cannot overflow. */
    private final boolean packable;

    GreedyPlacement(List<OffsetPlanner.Request> requests) {
        int n = requests.size();
        sizes = new long[n];
        alignments = new long[n];
        long worstOffset = 0;
        for (int i = 0; i < n; i++) {
            sizes[i] = requests.get(i).size();
            alignments[i] = requests.get(i).alignment();
            worstOffset = saturatingAdd(worstOffset, sizes[i] + alignments[i]);
        }
        neighbours = timeNeighbours(requests);
        packable = worstOffset < Long.MAX_VALUE / Math.max(1, n);
    }

    /** Rough cost of one {@link #place} call, in neighbour visits (at least 1). */
    long workPerRun() {
        long work = sizes.length;
        for (int[] list : neighbours) {
            work += list.length;
        }
        return Math.max(1, work);
    }

    long size(int index) {
        return sizes[index];
    }

    int count() {
        return sizes.length;
    }

    Run place(int[] sequence, boolean bestFit) {
        int n = sizes.length;
        long[] offsets = new long[n];
        boolean[] placed = new boolean[n];
        long[] keys = new long[maxDegree()];
        long size = 0;
        for (int index : sequence) {
            int count = 0;
            for (int other : neighbours[index]) {
                if (placed[other]) {
                    keys[count++] = other;
                }
            }
            sortByOffset(keys, count, offsets);
            long offset = chooseOffset(index, keys, count, offsets, bestFit);
            offsets[index] = offset;
            placed[index] = true;
            size = Math.max(size, offset + sizes[index]);
        }
        return new Run(sequence, bestFit, offsets, size);
    }

    /** Scans the placed neighbours (indices in {@code keys}, sorted by offset) for the gap to use. */
    private long chooseOffset(int index, long[] keys, int count, long[] offsets, boolean bestFit) {
        long bestOffset = -1;
        long bestGap = Long.MAX_VALUE;
        long frontier = 0;
        for (int k = 0; k < count; k++) {
            int other = (int) keys[k];
            long candidate = alignUp(frontier, alignments[index]);
            long gap = offsets[other] - frontier;
            if (candidate + sizes[index] <= offsets[other] && gap < bestGap) {
                bestOffset = candidate;
                bestGap = gap;
                if (!bestFit) {
                    return bestOffset;
                }
            }
            frontier = Math.max(frontier, offsets[other] + sizes[other]);
        }
        return bestOffset >= 0 ? bestOffset : alignUp(frontier, alignments[index]);
    }

    /** Sorts the first {@code count} request indices in {@code keys} by their offset, in place. */
    private void sortByOffset(long[] keys, int count, long[] offsets) {
        int n = sizes.length;
        if (packable) {
            for (int k = 0; k < count; k++) {
                keys[k] = offsets[(int) keys[k]] * n + keys[k];
            }
            sortPrefix(keys, count);
            for (int k = 0; k < count; k++) {
                keys[k] %= n;
            }
        } else {
            Long[] boxed = new Long[count];
            for (int k = 0; k < count; k++) {
                boxed[k] = keys[k];
            }
            Arrays.sort(boxed, Comparator.comparingLong(i -> offsets[(int) (long) i]));
            for (int k = 0; k < count; k++) {
                keys[k] = boxed[k];
            }
        }
    }

    /** Insertion sort for the short neighbour lists of typical plans, the library sort otherwise. */
    private static void sortPrefix(long[] keys, int count) {
        if (count > INSERTION_SORT_LIMIT) {
            Arrays.sort(keys, 0, count);
            return;
        }
        for (int i = 1; i < count; i++) {
            long key = keys[i];
            int j = i - 1;
            while (j >= 0 && keys[j] > key) {
                keys[j + 1] = keys[j];
                j--;
            }
            keys[j + 1] = key;
        }
    }

    private int maxDegree() {
        int max = 0;
        for (int[] list : neighbours) {
            max = Math.max(max, list.length);
        }
        return max;
    }

    /** For each request, the requests whose lifetimes overlap its own: a sweep over start times. */
    private static int[][] timeNeighbours(List<OffsetPlanner.Request> requests) {
        int n = requests.size();
        Integer[] byStart = new Integer[n];
        for (int i = 0; i < n; i++) {
            byStart[i] = i;
        }
        Arrays.sort(byStart, Comparator.comparingLong(i -> requests.get(i).start()));
        int[] degree = new int[n];
        forEachOverlap(requests, byStart, (a, b) -> {
            degree[a]++;
            degree[b]++;
        });
        int[][] lists = new int[n][];
        for (int i = 0; i < n; i++) {
            lists[i] = new int[degree[i]];
        }
        int[] filled = new int[n];
        forEachOverlap(requests, byStart, (a, b) -> {
            lists[a][filled[a]++] = b;
            lists[b][filled[b]++] = a;
        });
        return lists;
    }

    private interface PairConsumer {
        void accept(int a, int b);
    }

    /** Calls {@code consumer} once for each pair of requests alive at the same time. */
    private static void forEachOverlap(List<OffsetPlanner.Request> requests, Integer[] byStart,
                                       PairConsumer consumer) {
        for (int i = 0; i < byStart.length; i++) {
            OffsetPlanner.Request first = requests.get(byStart[i]);
            for (int j = i + 1; j < byStart.length && requests.get(byStart[j]).start() < first.end(); j++) {
                consumer.accept(byStart[i], byStart[j]);
            }
        }
    }

    private static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < a ? Long.MAX_VALUE : sum;
    }
}
