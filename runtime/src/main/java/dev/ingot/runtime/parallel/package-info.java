/**
 * The executor ops run their loops on: {@link dev.ingot.runtime.parallel.ParallelExecutor#parallelFor} over a
 * work-stealing {@link java.util.concurrent.ForkJoinPool}, with deterministic ranges (the same for every thread
 * count and schedule), failures propagated to the caller, safe nesting, and no allocation per call at steady
 * state.
 */
package dev.ingot.runtime.parallel;
