package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeakReportTest {

    private static EagerBufferAllocator tracked(boolean track) {
        return new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("leaky").withTrackAllocations(track));
    }

    private static MemoryChunk allocateHere(BufferAllocator allocator, long size) {
        return allocator.alloc(size);
    }

    private static MemoryChunk allocateThere(BufferAllocator allocator, long size) {
        return allocator.alloc(size);
    }

    @Test
    void liveChunksAreGroupedByAllocationSiteWhenTracking() {
        EagerBufferAllocator allocator = tracked(true);
        for (long size : new long[] {100, 200}) {
            allocateHere(allocator, size); // one site: the same stack both times
        }
        allocateThere(allocator, 1000);
        allocator.free(allocateThere(allocator, 50));

        LeakReport report = allocator.liveChunks();
        assertEquals(3, report.chunks());
        assertEquals(1300, report.bytes());
        assertEquals(2, report.sites().size());
        LeakReport.Site largest = report.sites().get(0);
        assertEquals(1, largest.chunks());
        assertEquals(1000, largest.bytes());
        assertEquals("allocateThere", largest.stackTrace().getFirst().getMethodName());
        LeakReport.Site other = report.sites().get(1);
        assertEquals(2, other.chunks());
        assertEquals(300, other.bytes());
        assertEquals("allocateHere", other.stackTrace().getFirst().getMethodName());
        assertEquals(LeakReportTest.class.getName(), other.stackTrace().getFirst().getClassName());

        allocator.close();
        LeakReport atClose = allocator.liveChunks();
        assertEquals(report.chunks(), atClose.chunks());
        assertEquals(report.bytes(), atClose.bytes());
        String text = atClose.describe(3);
        assertTrue(text.contains("3 live chunk(s), 1300 bytes"), text);
        assertTrue(text.contains("allocateThere"), text);
    }

    @Test
    void theSameMethodReachedFromTwoPlacesIsTwoSites() {
        EagerBufferAllocator allocator = tracked(true);
        allocateHere(allocator, 100);
        allocateHere(allocator, 200);
        LeakReport report = allocator.liveChunks();
        assertEquals(2, report.sites().size(), "a site is the whole allocation stack");
        allocator.close();
    }

    @Test
    void withoutTrackingThereIsOneUnknownSiteAndNoStack() {
        EagerBufferAllocator allocator = tracked(false);
        allocateHere(allocator, 100);
        allocateThere(allocator, 1000);
        allocator.close();
        LeakReport report = allocator.liveChunks();
        assertEquals(2, report.chunks());
        assertEquals(1100, report.bytes());
        assertEquals(1, report.sites().size());
        assertEquals(List.of(), report.sites().getFirst().stackTrace());
        assertTrue(report.describe(5).contains("untracked sites"));
    }

    @Test
    void closeLogsTheLeakThroughTheConfiguredLogger() {
        RecordingLogger logger = new RecordingLogger();
        EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withName("logged").withTrackAllocations(true).withLogger(logger));
        allocateThere(allocator, 700);
        allocator.close();
        assertEquals(1, logger.entries().size());
        RecordingLogger.Entry entry = logger.entries().getFirst();
        assertEquals(System.Logger.Level.WARNING, entry.level());
        assertTrue(entry.message().contains("'logged'"), entry.message());
        assertTrue(entry.message().contains("1 live chunk(s), 700 bytes"), entry.message());
        assertTrue(entry.message().contains("LeakReportTest.allocateThere"), entry.message());
    }

    @Test
    void samplingTracksAboutOneAllocationInTheInterval() {
        EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withTrackAllocations(true).withTrackingInterval(10));
        for (int i = 0; i < 2000; i++) {
            allocateHere(allocator, 64);
        }
        LeakReport report = allocator.liveChunks();
        assertEquals(2000, report.chunks());
        assertEquals(2, report.sites().size(), "one sampled site and the untracked rest");
        LeakReport.Site sampled = report.sites().stream().filter(s -> !s.stackTrace().isEmpty()).findFirst()
                .orElseThrow();
        assertEquals("allocateHere", sampled.stackTrace().getFirst().getMethodName());
        // Binomial(2000, 0.1): mean 200, standard deviation about 13.4; 120..280 is six deviations either side.
        assertTrue(sampled.chunks() > 120 && sampled.chunks() < 280, "sampled " + sampled.chunks());
        assertEquals(2000 - sampled.chunks(), report.sites().stream().filter(s -> s.stackTrace().isEmpty())
                .findFirst().orElseThrow().chunks());
        allocator.release(true);
        allocator.close();
    }

    @Test
    void aCleanCloseReportsNothing() {
        RecordingLogger logger = new RecordingLogger();
        EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withTrackAllocations(true).withLogger(logger));
        allocator.free(allocateHere(allocator, 64));
        allocator.close();
        assertTrue(allocator.liveChunks().isEmpty());
        assertEquals(List.of(), allocator.liveChunks().sites());
        assertTrue(LeakReport.empty().isEmpty());
        assertEquals(List.of(), logger.entries(), "nothing to report, nothing logged");
    }

    @Test
    void deferredPlannersReportUnfreedChunksBySite() {
        DeferBufferAllocator planner = new DeferBufferAllocator(SegmentSource.arena(),
                AllocatorOptions.defaults().withTrackAllocations(true));
        allocateHere(planner, 64);
        planner.apply();
        planner.close();
        LeakReport report = planner.liveChunks();
        assertEquals(1, report.chunks());
        assertEquals("allocateHere", report.sites().getFirst().stackTrace().getFirst().getMethodName());
    }
}
