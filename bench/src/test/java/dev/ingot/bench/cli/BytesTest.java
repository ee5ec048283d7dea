package dev.ingot.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BytesTest {
    @Test
    void formatsWithBinaryUnits() {
        assertEquals("0 B", Bytes.format(0));
        assertEquals("1023 B", Bytes.format(1023));
        assertEquals("1.5 KiB", Bytes.format(1536));
        assertEquals("8.0 MiB", Bytes.format(8L << 20));
        assertEquals("2.0 GiB", Bytes.format(2L << 30));
    }
}
