package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CacheSizesTest {

    @Test
    void parsesTheSizesLinuxWrites() {
        assertEquals(32L << 10, CacheSizes.parseSize("32K", 7));
        assertEquals(1L << 20, CacheSizes.parseSize("1024K\n", 7));
        assertEquals(32L << 20, CacheSizes.parseSize("32M", 7));
        assertEquals(2L << 30, CacheSizes.parseSize("2G", 7));
        assertEquals(512, CacheSizes.parseSize("512", 7));
    }

    @Test
    void unreadableSizesFallBack() {
        for (String text : new String[] {"", "K", "lots", "-4K", "0", "12X"}) {
            assertEquals(7, CacheSizes.parseSize(text, 7), text);
        }
    }

    @Test
    void machineSizeIsPositiveAndNonPositiveSizesAreRejected() {
        assertTrue(CacheSizes.MACHINE.l3Bytes() > 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CacheSizes(0));
        assertTrue(e.getMessage().contains("L3=0"), e.getMessage());
    }
}
