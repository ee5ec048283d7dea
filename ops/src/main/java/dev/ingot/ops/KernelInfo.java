package dev.ingot.ops;

import dev.ingot.ops.norm.kernel.KernelSet;
import dev.ingot.ops.norm.kernel.Kernels;

/**
 * Which kernel set this JVM runs, for {@code --version}, health checks and bug reports.
 *
 * <p>Immutable and thread-safe. The choice is made once per JVM, on first use of the kernels or of
 * {@link #current()}; when the Vector API is missing it is logged once at WARNING, naming
 * {@code --add-modules jdk.incubator.vector}.
 *
 * @param name         {@code "vector"} (Vector API) or {@code "scalar"} (plain Java)
 * @param reason       why that set runs: the module was found, or the fallback's cause
 * @param fma          whether the kernels' sums use fused multiply-adds (only where the CPU has them)
 * @param vectorBits   bits per float vector, 0 for the scalar set
 * @param l3CacheBytes the last-level cache size the kernels fit their work waves to, in bytes
 */
public record KernelInfo(String name, String reason, boolean fma, int vectorBits, long l3CacheBytes) {

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException when a text is null or blank, or a size is negative
     */
    public KernelInfo {
        if (name == null || name.isBlank() || reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("kernel info: expected a name and a reason, got " + name + ", "
                    + reason);
        }
        if (vectorBits < 0 || l3CacheBytes < 0) {
            throw new IllegalArgumentException("kernel info: expected sizes >= 0, got vectorBits=" + vectorBits
                    + " l3CacheBytes=" + l3CacheBytes);
        }
    }

    /**
     * The kernel set this JVM runs.
     *
     * @return its description; the same values on every call
     */
    public static KernelInfo current() {
        KernelSet set = Kernels.selected();
        return new KernelInfo(set.name(), set.reason(), set.fma(), set.vectorBits(), set.caches().l3Bytes());
    }

    /**
     * One line for {@code --version} or a log, e.g. {@code vector (256-bit, FMA): jdk.incubator.vector is present}.
     *
     * @return the summary
     */
    public String summary() {
        StringBuilder s = new StringBuilder(name);
        if (vectorBits > 0 || fma) {
            s.append(" (");
            if (vectorBits > 0) {
                s.append(vectorBits).append("-bit");
            }
            if (fma) {
                s.append(vectorBits > 0 ? ", " : "").append("FMA");
            }
            s.append(')');
        }
        return s.append(": ").append(reason).toString();
    }
}
