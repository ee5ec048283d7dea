package dev.ingot.runtime;

/**
 * What {@link Pipeline#warmUp} did.
 *
 * @param runs           runs made
 * @param nanos          time taken, in nanoseconds
 * @param allocationFree true when the last rounds of runs allocated nothing on the Java heap and saw no JIT
 *                       compilation finish (the plan's code is compiled); false when the time budget ran out first,
 *                       or allocation cannot be measured on this JVM
 */
public record WarmUpReport(int runs, long nanos, boolean allocationFree) {
}
