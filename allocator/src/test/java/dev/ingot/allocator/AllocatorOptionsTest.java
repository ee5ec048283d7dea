package dev.ingot.allocator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocatorOptionsTest {

    @Test
    void defaultsFollowTheSystemProperties() {
        AllocatorOptions defaults = AllocatorOptions.defaults();
        assertEquals("", defaults.name());
        assertEquals(Boolean.getBoolean(AllocatorOptions.CHECKED_PROPERTY), defaults.checked());
        assertEquals(Boolean.getBoolean(AllocatorOptions.TRACK_PROPERTY), defaults.trackAllocations());
        assertEquals(AllocatorOptions.DEFAULT_MIN_BLOCK_SIZE, defaults.minBlockSize());
        assertEquals(Long.MAX_VALUE, defaults.limit());
        assertEquals(Long.MAX_VALUE, defaults.maxPooled());
        assertEquals(1, defaults.trackingInterval());
        assertEquals(AllocatorOptions.LOGGER_NAME, defaults.logger().getName());
    }

    @Test
    void eachWitherChangesOneSetting() {
        AllocatorOptions base = AllocatorOptions.defaults();
        RecordingLogger logger = new RecordingLogger();
        AllocatorOptions changed = base.withName("n").withChecked(!base.checked())
                .withTrackAllocations(!base.trackAllocations()).withTrackingInterval(7)
                .withMinBlockSize(4096).withLimit(1 << 20)
                .withMaxPooled(8192).withLogger(logger);
        assertEquals(new AllocatorOptions("n", !base.checked(), !base.trackAllocations(), 7, 4096, 1 << 20, 8192,
                logger), changed);
        assertSame(logger, changed.logger());
        assertEquals(5, base.withCheckBatch(5).checkBatch());
        assertEquals(base, base.withCheckBatch(5).withCheckBatch(base.checkBatch()));
    }

    @Test
    void theFiveSettingFormKeepsTheOtherDefaults() {
        AllocatorOptions options = new AllocatorOptions("x", true, false, 100, 1000);
        assertEquals(Long.MAX_VALUE, options.maxPooled());
        assertEquals(1, options.trackingInterval());
        assertEquals(AllocatorOptions.LOGGER_NAME, options.logger().getName());
        RecordingLogger logger = new RecordingLogger();
        AllocatorOptions seven = new AllocatorOptions("x", true, false, 100, 1000, 500, logger);
        assertEquals(1, seven.trackingInterval());
        assertEquals(500, seven.maxPooled());
    }

    @Test
    void badSettingsAreRejectedByName() {
        AllocatorOptions base = AllocatorOptions.defaults();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withName(null)).getMessage()
                .startsWith("name:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withMinBlockSize(0)).getMessage()
                .startsWith("minBlockSize:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withTrackingInterval(0)).getMessage()
                .startsWith("trackingInterval:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withCheckBatch(0)).getMessage()
                .startsWith("checkBatch:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withLimit(-1)).getMessage()
                .startsWith("limit:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withMaxPooled(-1)).getMessage()
                .startsWith("maxPooled:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withLogger(null)).getMessage()
                .startsWith("logger:"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> base.withSampledChecks(-1)).getMessage()
                .startsWith("checkInterval:"));
        assertEquals(64, base.withSampledChecks(64).checkInterval());
        assertEquals(0, base.checkInterval());
        assertThrows(IllegalArgumentException.class, () -> new EagerBufferAllocator(SegmentSource.arena(), null));
        assertThrows(IllegalArgumentException.class, () -> new EagerBufferAllocator(null, base));
        assertThrows(IllegalArgumentException.class, () -> new DeferBufferAllocator(null, base));
    }
}
