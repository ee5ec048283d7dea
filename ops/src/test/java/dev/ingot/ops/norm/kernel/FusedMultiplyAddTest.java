package dev.ingot.ops.norm.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class FusedMultiplyAddTest {

    @Test
    void thePropertyOverridesTheFlag() {
        assertTrue(FusedMultiplyAdd.decide("true"));
        assertTrue(FusedMultiplyAdd.decide(" TRUE "));
        assertFalse(FusedMultiplyAdd.decide("false"));
    }

    @Test
    void automaticChoiceFollowsHotSpotsUseFmaFlag() {
        String flag = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("UseFMA")
                .getValue();
        assertEquals(Boolean.parseBoolean(flag), FusedMultiplyAdd.decide(""));
        assertEquals(Boolean.parseBoolean(flag), FusedMultiplyAdd.decide("auto"));
    }

    @Test
    void thisJvmFollowsItsProperty() {
        String property = System.getProperty(FusedMultiplyAdd.PROPERTY, "");
        assertEquals(FusedMultiplyAdd.decide(property), FusedMultiplyAdd.ENABLED);
    }
}
