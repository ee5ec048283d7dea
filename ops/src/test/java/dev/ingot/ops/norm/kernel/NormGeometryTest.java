package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NormGeometryTest {

    @Test
    void cutsPlanesIntoUnitsOfTheChunkSize() {
        NormGeometry g = NormGeometry.of(2, 3, 40_000, false, 16_384);
        assertEquals(3, g.unitsPerGroup());
        assertEquals(16_384, g.unitSize(0));
        assertEquals(40_000 - 2 * 16_384, g.unitSize(2));
        assertEquals(6 * 40_000L + 16_384, g.unitStart(6, 1));
        assertEquals(18, g.units());
    }

    @Test
    void refusesMoreInstancesThanItsScratchCanIndex() {
        int channels = NormGeometry.MAX_INSTANCES / 2 + 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NormGeometry.of(2, channels, 1, false, 16_384));
        assertTrue(e.getMessage().startsWith("geometry: expected N*C <= " + NormGeometry.MAX_INSTANCES), e.getMessage());
        assertEquals(NormGeometry.MAX_INSTANCES, NormGeometry.of(1, NormGeometry.MAX_INSTANCES, 1, false, 1)
                .instances());
    }
}
