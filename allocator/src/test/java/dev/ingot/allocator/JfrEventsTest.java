package dev.ingot.allocator;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JfrEventsTest {

    @Test
    void blockReservationReturnAndRefusalAreRecorded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("allocator.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("dev.ingot.allocator.BlockReserved");
            recording.enable("dev.ingot.allocator.BlockReturned");
            recording.enable("dev.ingot.allocator.AllocationRefused");
            recording.start();
            try (EagerBufferAllocator allocator = new EagerBufferAllocator(SegmentSource.arena(),
                    AllocatorOptions.defaults().withName("jfr-test").withMinBlockSize(8192).withLimit(16384))) {
                allocator.alloc(100);
                assertThrows(AllocationLimitException.class, () -> allocator.alloc(20_000));
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> "jfr-test".equals(e.getString("allocator"))).toList();

        RecordedEvent reserved = only(events, "dev.ingot.allocator.BlockReserved");
        assertEquals(8192, reserved.getLong("bytes"));
        assertEquals("arena", reserved.getString("source"));
        RecordedEvent refused = only(events, "dev.ingot.allocator.AllocationRefused");
        assertEquals(20_000, refused.getLong("requested"));
        assertEquals(100, refused.getLong("inUse"));
        assertEquals(16384, refused.getLong("limit"));
        RecordedEvent returned = only(events, "dev.ingot.allocator.BlockReturned");
        assertEquals(8192, returned.getLong("bytes"));
        assertEquals(0, returned.getLong("reservedAfter"));
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name) {
        List<RecordedEvent> matching = events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
        assertEquals(1, matching.size(), name + " in " + events);
        assertTrue(matching.getFirst().getEventType().getCategoryNames().contains("ingot"));
        return matching.getFirst();
    }
}
