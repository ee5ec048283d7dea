/**
 * Facts about the op set as a whole: {@link dev.ingot.ops.KernelInfo} tells which kernel set (Vector API or
 * scalar) this JVM runs and why.
 */
package dev.ingot.ops;
