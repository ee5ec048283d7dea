/**
 * The executions behind the instance-norm ops: argument checks, planning (scratch sized in {@code onResize}) and
 * the hand-off of each run to the kernel passes on the backend's executor. Not exported.
 */
package dev.ingot.ops.norm.internal;
