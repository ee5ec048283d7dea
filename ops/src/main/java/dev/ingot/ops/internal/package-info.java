/**
 * What every op's execution shares: argument checks ({@link dev.ingot.ops.internal.OpChecks}) and named, optional
 * input and output slots ({@link dev.ingot.ops.internal.Slots}). Not exported.
 */
package dev.ingot.ops.internal;
