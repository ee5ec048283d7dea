/**
 * Instance-norm kernels over {@link java.lang.foreign.MemorySegment}s: per-unit sums and writes (scalar and
 * Vector API for NCHW planes, row-order loops for channels-last), the merge of unit sums, and the forward and
 * backward passes that schedule them. Work units depend only on the shape, so results are bitwise the same for
 * any thread count. Not exported.
 */
package dev.ingot.ops.norm.kernel;
