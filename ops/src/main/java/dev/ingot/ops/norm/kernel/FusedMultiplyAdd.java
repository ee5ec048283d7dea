package dev.ingot.ops.norm.kernel;

import java.util.Locale;

/**
 * Whether the vector kernels' sums use fused multiply-adds, decided once per JVM.
 *
 * <p>On where HotSpot compiles a fused multiply-add to one instruction (its {@code UseFMA} flag, which it sets when
 * the CPU has FMA); off elsewhere, because the Vector API then computes each fused lane in software, many times
 * slower than a multiply and an add. The system property {@value #PROPERTY} ({@code true} or {@code false})
 * overrides the choice, so that both paths can be tested on one machine.
 */
final class FusedMultiplyAdd {
    /** System property: {@code true}, {@code false} or unset (automatic). */
    static final String PROPERTY = "ingot.fma";

    static final boolean ENABLED = decide(System.getProperty(PROPERTY, ""));

    private FusedMultiplyAdd() {
    }

    static boolean decide(String property) {
        return switch (property.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> compiledToOneInstruction();
        };
    }

    private static boolean compiledToOneInstruction() {
        // not HotSpot, or the flag is gone: off, the safe choice
        return Boolean.parseBoolean(HotSpotOptions.value("UseFMA"));
    }
}
