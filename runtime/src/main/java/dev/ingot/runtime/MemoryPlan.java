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
 */
public record MemoryPlan(MemoryMode mode, int ops, int dynamicTensors, long peakDynamicBytes, long lowerBoundBytes,
                         long totalDynamicBytes, long reservedBytes, long staticBytes) {

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
                + reservedBytes + " B, static " + staticBytes + " B";
    }
}
