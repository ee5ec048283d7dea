package dev.ingot.runtime;

/**
 * What a {@link Pipeline#resize()} planned for its DYNAMIC memory. Sizes in bytes, each tensor's size rounded up
 * to the 64-byte allocation granule.
 *
 * @param mode                how dynamic memory was placed
 * @param ops                 number of ops in the pipeline
 * @param dynamicTensors      tensors acquired DYNAMIC (op outputs, pipeline outputs, scratch)
 * @param peakDynamicBytes    memory the plan needs at its peak: eager, the most bytes in use at once; deferred,
 *                            the size of the planned block
 * @param lowerBoundBytes     the most bytes alive at one moment, a bound no placement can beat
 * @param totalDynamicBytes   the sum over all dynamic tensors: what holding every intermediate would cost
 * @param reservedBytes       bytes the pipeline's dynamic allocator holds from the system after the resize
 * @param staticBytes         bytes of STATIC memory the pipeline itself acquired (its inputs and owned parameters)
 * @param overwritingOps      ops that write their output over an input that dies there (e.g. a gradient op's dx
 *                            over its dy), so no memory is acquired for that output
 * @param overwrittenBytes    the bytes those outputs would otherwise have taken (and written to fresh memory)
 */
public record MemoryPlan(MemoryMode mode, int ops, int dynamicTensors, long peakDynamicBytes, long lowerBoundBytes,
                         long totalDynamicBytes, long reservedBytes, long staticBytes, int overwritingOps,
                         long overwrittenBytes) {

    /**
     * A plan without ops that write over their inputs.
     *
     * @param mode              how dynamic memory was placed
     * @param ops               number of ops
     * @param dynamicTensors    tensors acquired DYNAMIC
     * @param peakDynamicBytes  the plan's peak
     * @param lowerBoundBytes   the most bytes alive at one moment
     * @param totalDynamicBytes the sum over all dynamic tensors
     * @param reservedBytes     bytes the dynamic allocator holds
     * @param staticBytes       STATIC bytes the pipeline acquired
     */
    public MemoryPlan(MemoryMode mode, int ops, int dynamicTensors, long peakDynamicBytes, long lowerBoundBytes,
                      long totalDynamicBytes, long reservedBytes, long staticBytes) {
        this(mode, ops, dynamicTensors, peakDynamicBytes, lowerBoundBytes, totalDynamicBytes, reservedBytes,
                staticBytes, 0, 0);
    }

    /**
     * Peak over total: 1 means no reuse at all, smaller is better. 0 when there is nothing dynamic.
     *
     * @return peak over total dynamic bytes
     */
    public double peakFraction() {
        return totalDynamicBytes == 0 ? 0 : (double) peakDynamicBytes / totalDynamicBytes;
    }

    @Override
    public String toString() {
        return mode + " plan: " + ops + " ops, " + dynamicTensors + " dynamic tensors, peak " + peakDynamicBytes
                + " B (lower bound " + lowerBoundBytes + " B) of " + totalDynamicBytes + " B total, reserved "
                + reservedBytes + " B, static " + staticBytes + " B"
                + (overwritingOps == 0 ? "" : ", " + overwritingOps + " ops wrote over their input ("
                + overwrittenBytes + " B not acquired)");
    }
}
