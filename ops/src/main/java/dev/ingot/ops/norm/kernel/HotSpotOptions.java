package dev.ingot.ops.norm.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/** Reads HotSpot's VM options, for the choices that depend on the JIT. */
final class HotSpotOptions {
    private HotSpotOptions() {
    }

    /** The option's value, or null when the JVM is not HotSpot or has no such option. */
    static String value(String name) {
        try {
            HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotSpot == null ? null : hotSpot.getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null; // not HotSpot, or the option is gone
        }
    }

    /** Whether C2 compiles hot code: false under {@code -Xint} or {@code -XX:TieredStopAtLevel} below 4. */
    static boolean optimizingCompilerOn() {
        if ("false".equals(value("UseCompiler"))) {
            return false;
        }
        String level = value("TieredStopAtLevel");
        boolean tiered = !"false".equals(value("TieredCompilation"));
        try {
            return !tiered || level == null || Integer.parseInt(level) >= 4;
        } catch (NumberFormatException e) {
            return true;
        }
    }
}
