package dev.ingot.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AttributesTest {

    @Test
    void typedGettersWithDefaults() {
        Attributes a = Attributes.of("eps", 1e-3, "inPlace", true, "axis", 2, "name", "x", "w",
                new float[] {1, 2});
        assertEquals(1e-3, a.getDouble("eps", 1e-5));
        assertEquals(1e-5, a.getDouble("missing", 1e-5));
        assertTrue(a.getBoolean("inPlace", false));
        assertFalse(a.getBoolean("other", false));
        assertEquals(2, a.getInt("axis", 0));
        assertEquals(2L, a.getLong("axis", 0));
        assertEquals(2.0, a.getDouble("axis", 0));
        assertEquals("x", a.getString("name", ""));
        assertArrayEquals(new float[] {1, 2}, a.getFloatArray("w", null));
        assertEquals((float) 1e-3, a.getFloat("eps", 0f));
    }

    @Test
    void wrongTypesAreNamed() {
        Attributes a = Attributes.of("eps", "small");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.getDouble("eps", 0));
        assertTrue(e.getMessage().contains("eps") && e.getMessage().contains("String"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Attributes.of("x", new Object()));
        assertThrows(IllegalArgumentException.class, () -> Attributes.of("x"));
        assertThrows(IllegalArgumentException.class, () -> Attributes.of("big", 1L << 40).getInt("big", 0));
    }

    @Test
    void immutableAndValueEquality() {
        float[] w = {1, 2};
        Attributes a = Attributes.builder().put("w", w).put("eps", 1e-5).build();
        w[0] = 9;
        assertEquals(1f, a.getFloatArray("w", null)[0]);
        a.getFloatArray("w", null)[1] = 9;
        assertEquals(2f, a.getFloatArray("w", null)[1]);
        assertEquals(Attributes.of("w", new float[] {1, 2}, "eps", 1e-5), a);
        assertEquals(Attributes.of("w", new float[] {1, 2}, "eps", 1e-5).hashCode(), a.hashCode());
        assertThrows(UnsupportedOperationException.class, () -> a.values().put("x", 1));
        assertEquals(3, a.with("k", 3).getInt("k", 0));
        assertFalse(a.has("k"));
    }
}
